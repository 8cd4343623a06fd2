import NIOCore

/// ApiVersions request (API key 18): asks the broker which versions of each API it supports.
/// Versions 0-2 have an empty body; version 3 (flexible) adds the client software name and version.
public struct ApiVersionsRequest: KafkaRequest {
    public typealias Response = ApiVersionsResponse
    public static let apiKey = KafkaApiKey.apiVersions
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    /// The client software's name (v3+), e.g. `ferry`.
    public var clientSoftwareName: String
    /// The client software's version (v3+).
    public var clientSoftwareVersion: String
    /// Tags this code does not know, kept for round trips.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "", unknownTaggedFields: [KafkaTaggedField] = []) {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            if version >= 3 {
                buffer.writeKafkaString(clientSoftwareName, compact: true)
                buffer.writeKafkaString(clientSoftwareVersion, compact: true)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        self.init()
        guard version >= 3 else { return }
        clientSoftwareName = try reader.string("client_software_name", compact: true)
        clientSoftwareVersion = try reader.string("client_software_version", compact: true)
        unknownTaggedFields = try reader.taggedFields()
    }
}
