/// A Kafka API key: the number at the start of every request header that says which API it is.
public struct KafkaApiKey: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public var rawValue: Int16
    /// Makes a key from its number (unknown numbers are allowed: brokers list APIs we do not know).
    public init(rawValue: Int16) { self.rawValue = rawValue }

    public static let produce = KafkaApiKey(rawValue: 0)
    public static let fetch = KafkaApiKey(rawValue: 1)
    public static let listOffsets = KafkaApiKey(rawValue: 2)
    public static let metadata = KafkaApiKey(rawValue: 3)
    public static let saslHandshake = KafkaApiKey(rawValue: 17)
    public static let apiVersions = KafkaApiKey(rawValue: 18)
    public static let createTopics = KafkaApiKey(rawValue: 19)
    public static let initProducerId = KafkaApiKey(rawValue: 22)
    public static let saslAuthenticate = KafkaApiKey(rawValue: 36)

    /// Kafka's name of the API (`Produce`, `Metadata` ...), or `ApiKey(n)` for one this code does not know.
    public var name: String {
        switch rawValue {
        case 0: "Produce"
        case 1: "Fetch"
        case 2: "ListOffsets"
        case 3: "Metadata"
        case 17: "SaslHandshake"
        case 18: "ApiVersions"
        case 19: "CreateTopics"
        case 22: "InitProducerId"
        case 36: "SaslAuthenticate"
        default: "ApiKey(\(rawValue))"
        }
    }

    public var description: String { name }
}
