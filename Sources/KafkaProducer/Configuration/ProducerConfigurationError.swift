/// A producer property with a bad or missing value. The message names the property, the value, and
/// what is accepted, so a user can fix the config without reading code.
public struct ProducerConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What is wrong.
    public enum Code: String, Hashable, Sendable {
        /// A property this producer does not know.
        case unknownProperty = "unknown_property"
        /// A value that does not parse or is out of range.
        case invalidValue = "invalid_value"
        /// A required property is missing.
        case missingProperty = "missing_property"
        /// Two properties contradict each other.
        case conflict
        /// A Java producer property this client knows but cannot honour (a Java class, transactions, TLS
        /// before it lands).
        case unsupported
    }

    /// The kind of problem.
    public var code: Code
    /// The Kafka property name (`linger.ms`).
    public var property: String
    /// The value given, if any.
    public var value: String?
    /// What is wrong and what is accepted.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, property: String, value: String?, _ message: String) {
        self.code = code
        self.property = property
        self.value = value
        self.message = message
    }

    /// `property name=value: message`.
    public var description: String {
        if let value { return "property \(property)=\(value): \(message)" }
        return "property \(property): \(message)"
    }
}

/// Every problem found in a set of producer properties (at least one).
public struct ProducerConfigurationErrors: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems, in property-name order of discovery.
    public var errors: [ProducerConfigurationError]

    /// Makes the list.
    public init(errors: [ProducerConfigurationError]) {
        self.errors = errors
    }

    /// The first problem (there is always one).
    public var first: ProducerConfigurationError? { errors.first }

    /// Every problem, separated by `; `.
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
