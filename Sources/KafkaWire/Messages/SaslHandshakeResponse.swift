import NIOCore

/// SaslHandshake response: an error code (UNSUPPORTED_SASL_MECHANISM, 33, when the broker does not
/// enable the mechanism asked for) and the mechanisms the broker enables. Versions 0-1, not flexible.
public struct SaslHandshakeResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.saslHandshake
    public static let supportedVersions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = nil

    /// The error code, 0 if none.
    public var errorCode: Int16
    /// The mechanisms enabled in the broker.
    public var mechanisms: [String]

    /// Makes a response.
    public init(errorCode: Int16 = 0, mechanisms: [String] = []) {
        self.errorCode = errorCode
        self.mechanisms = mechanisms
    }

    /// The error as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        buffer.writeInteger(errorCode)
        buffer.writeKafkaArray(mechanisms) { $0.writeKafkaString($1) }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        errorCode = try reader.int16("error_code")
        mechanisms = try reader.stringArray("mechanisms", compact: false)
    }
}
