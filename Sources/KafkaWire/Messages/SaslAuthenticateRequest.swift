import NIOCore

/// SaslAuthenticate request (API key 36): one SASL token from the client, after a SaslHandshake v1.
/// Versions 0-2; 2 is the first flexible version.
public struct SaslAuthenticateRequest: KafkaRequest {
    public typealias Response = SaslAuthenticateResponse
    public static let apiKey = KafkaApiKey.saslAuthenticate
    public static let supportedVersions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    /// The SASL token, as defined by the mechanism.
    public var authBytes: [UInt8]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(authBytes: [UInt8] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
        self.authBytes = authBytes
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            buffer.writeKafkaBytes(authBytes, compact: flexible)
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        authBytes = Array(try reader.bytes("auth_bytes", compact: flexible).readableBytesView)
        unknownTaggedFields = flexible ? try reader.taggedFields() : []
    }
}
