import NIOCore

/// SaslHandshake request (API key 17): names the SASL mechanism the client wants (`PLAIN`,
/// `SCRAM-SHA-256` ...). Version 0 is followed by raw SASL tokens on the socket; version 1 by
/// SaslAuthenticate requests. Neither version is flexible.
public struct SaslHandshakeRequest: KafkaRequest {
    public typealias Response = SaslHandshakeResponse
    public static let apiKey = KafkaApiKey.saslHandshake
    public static let supportedVersions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = nil

    /// The SASL mechanism chosen by the client.
    public var mechanism: String

    /// Makes a request.
    public init(mechanism: String = "") {
        self.mechanism = mechanism
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        buffer.writeKafkaString(mechanism)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        mechanism = try reader.string("mechanism")
    }
}
