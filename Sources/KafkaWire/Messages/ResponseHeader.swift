import NIOCore

/// The header in front of every response body: the correlation id (v0), plus tagged fields (v1, flexible
/// responses other than ApiVersions).
public struct ResponseHeader: Hashable, Sendable {
    /// The correlation id of the request this answers.
    public var correlationId: Int32
    /// Tagged fields (header v1).
    public var taggedFields: [KafkaTaggedField]

    /// Makes a header.
    public init(correlationId: Int32, taggedFields: [KafkaTaggedField] = []) {
        self.correlationId = correlationId
        self.taggedFields = taggedFields
    }

    /// Appends the header in `headerVersion` (0 or 1).
    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) throws {
        guard (0...1).contains(headerVersion) else {
            throw KafkaWireError(.unsupportedVersion, "response header version \(headerVersion)", context: "ResponseHeader")
        }
        buffer.writeInteger(correlationId)
        if headerVersion >= 1 {
            buffer.writeKafkaTaggedFields(taggedFields)
        } else if !taggedFields.isEmpty {
            throw KafkaWireError(
                .notRepresentable, "tagged fields need response header v1", context: "ResponseHeader.taggedFields")
        }
    }

    /// Reads a header in `headerVersion`.
    public init(from reader: inout KafkaReader, headerVersion: Int16) throws {
        guard (0...1).contains(headerVersion) else {
            throw reader.error(.unsupportedVersion, "response header version \(headerVersion)")
        }
        correlationId = try reader.int32("correlation_id")
        taggedFields = headerVersion >= 1 ? try reader.taggedFields() : []
    }
}
