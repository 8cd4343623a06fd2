/// A problem in a configuration file: which file, where, which key, and what. Every error names all of
/// them, so a user can fix the file without reading code.
public struct ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The kind of problem.
    public enum Code: String, Sendable {
        /// The file cannot be read.
        case unreadable
        /// The text is not the YAML Ferry accepts.
        case syntax
        /// A key Ferry does not know.
        case unknownKey = "unknown_key"
        /// A required key is missing.
        case missingKey = "missing_key"
        /// A value of the wrong kind (a list where a number is expected...).
        case wrongType = "wrong_type"
        /// A value of the right kind but not acceptable (out of range, unknown word).
        case invalidValue = "invalid_value"
        /// `${VAR}` names a variable that is not set and has no default.
        case unsetVariable = "unset_variable"
    }

    /// The kind of problem.
    public var code: Code
    /// The configuration file.
    public var file: String
    /// Where (1-based); 0 when the problem is the file as a whole.
    public var line: Int
    public var column: Int
    /// The key's path (`inputs[1].max_line_bytes`), empty for the whole file.
    public var key: String
    /// What is wrong, and what is accepted.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, file: String, line: Int, column: Int, key: String, _ message: String) {
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
    }

    public var description: String {
        var place = file
        if line > 0 { place += ":\(line):\(column)" }
        return key.isEmpty ? "\(place): \(message)" : "\(place): \(key): \(message)"
    }
}

/// Every problem found in a configuration file (all of them, not only the first).
public struct ConfigurationErrors: Error, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var errors: [ConfigurationError]

    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
