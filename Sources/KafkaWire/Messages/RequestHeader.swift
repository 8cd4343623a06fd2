import NIOCore

/// The header in front of every request body. Version 0 has the API key, API version and correlation id;
/// version 1 adds the client id; version 2 (flexible requests) adds a tagged-field section.
public struct RequestHeader: Hashable, Sendable {
    /// Which API the body is.
    public var apiKey: KafkaApiKey
    /// The version of the body.
    public var apiVersion: Int16
    /// Echoed by the broker in the response header, to match responses to requests.
    public var correlationId: Int32
    /// The client's name, shown in broker logs and quotas (header v1+).
    public var clientId: String?
    /// Tagged fields (header v2).
    public var taggedFields: [KafkaTaggedField]

    /// Makes a header.
    public init(
        apiKey: KafkaApiKey, apiVersion: Int16, correlationId: Int32, clientId: String? = nil,
        taggedFields: [KafkaTaggedField] = []
    ) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
        self.taggedFields = taggedFields
    }

    /// Appends the header in `headerVersion` (0, 1 or 2). The client id stays a non-compact nullable string
    /// even in v2, as the protocol requires.
    public func encode(into buffer: inout ByteBuffer, headerVersion: Int16) throws {
        guard (0...2).contains(headerVersion) else {
            throw KafkaWireError(.unsupportedVersion, "request header version \(headerVersion)", context: "RequestHeader")
        }
        buffer.writeInteger(apiKey.rawValue)
        buffer.writeInteger(apiVersion)
        buffer.writeInteger(correlationId)
        if headerVersion >= 1 {
            buffer.writeKafkaNullableString(clientId)
        }
        if headerVersion >= 2 {
            buffer.writeKafkaTaggedFields(taggedFields)
        } else if !taggedFields.isEmpty {
            throw KafkaWireError(
                .notRepresentable, "tagged fields need request header v2", context: "RequestHeader.taggedFields")
        }
    }

    /// Reads a header in `headerVersion`.
    public init(from reader: inout KafkaReader, headerVersion: Int16) throws {
        guard (0...2).contains(headerVersion) else {
            throw reader.error(.unsupportedVersion, "request header version \(headerVersion)")
        }
        apiKey = KafkaApiKey(rawValue: try reader.int16("request_api_key"))
        apiVersion = try reader.int16("request_api_version")
        correlationId = try reader.int32("correlation_id")
        clientId = headerVersion >= 1 ? try reader.nullableString("client_id") : nil
        taggedFields = headerVersion >= 2 ? try reader.taggedFields() : []
    }
}
