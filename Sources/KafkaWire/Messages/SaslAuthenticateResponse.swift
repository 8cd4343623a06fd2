import NIOCore

/// SaslAuthenticate response: the broker's SASL token, or an error (SASL_AUTHENTICATION_FAILED, 58).
/// Versions 0-2: 1 adds the session lifetime; 2 is the first flexible version.
public struct SaslAuthenticateResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.saslAuthenticate
    public static let supportedVersions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    /// The error code, 0 if none.
    public var errorCode: Int16
    /// The error message, or `nil`.
    public var errorMessage: String?
    /// The broker's SASL token, as defined by the mechanism.
    public var authBytes: [UInt8]
    /// How long the session may last before re-authenticating, in milliseconds (v1+); 0 for no limit.
    public var sessionLifetimeMs: Int64
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        errorCode: Int16 = 0, errorMessage: String? = nil, authBytes: [UInt8] = [], sessionLifetimeMs: Int64 = 0,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.authBytes = authBytes
        self.sessionLifetimeMs = sessionLifetimeMs
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The error as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            buffer.writeInteger(errorCode)
            buffer.writeKafkaNullableString(errorMessage, compact: flexible)
            buffer.writeKafkaBytes(authBytes, compact: flexible)
            if version >= 1 { buffer.writeInteger(sessionLifetimeMs) }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        errorCode = try reader.int16("error_code")
        errorMessage = try reader.nullableString("error_message", compact: flexible)
        authBytes = Array(try reader.bytes("auth_bytes", compact: flexible).readableBytesView)
        if version >= 1 { sessionLifetimeMs = try reader.int64("session_lifetime_ms") }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
