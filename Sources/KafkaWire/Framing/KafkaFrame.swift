import NIOCore

/// Whole frames: size prefix + header + body, in both directions.
public enum KafkaFrame {
    /// Appends a complete request frame (size, header, body) to `buffer`.
    public static func encodeRequest<Request: KafkaRequest>(
        _ request: Request, version: Int16, correlationId: Int32, clientId: String?, into buffer: inout ByteBuffer
    ) throws {
        try Request.checkVersion(version)
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        let header = RequestHeader(
            apiKey: Request.apiKey, apiVersion: version, correlationId: correlationId, clientId: clientId)
        do {
            try header.encode(into: &buffer, headerVersion: Request.requestHeaderVersion(version))
            try request.encode(into: &buffer, version: version)
        } catch {
            buffer.moveWriterIndex(to: sizeIndex)
            throw error
        }
        buffer.setInteger(Int32(buffer.writerIndex - sizeIndex - 4), at: sizeIndex)
    }

    /// Appends a complete response frame (size, header, body) to `buffer`.
    public static func encodeResponse<Response: KafkaResponse>(
        _ response: Response, version: Int16, correlationId: Int32, into buffer: inout ByteBuffer
    ) throws {
        let sizeIndex = buffer.writerIndex
        buffer.writeInteger(Int32(0))
        do {
            try ResponseHeader(correlationId: correlationId)
                .encode(into: &buffer, headerVersion: Response.responseHeaderVersion(version))
            try response.encode(into: &buffer, version: version)
        } catch {
            buffer.moveWriterIndex(to: sizeIndex)
            throw error
        }
        buffer.setInteger(Int32(buffer.writerIndex - sizeIndex - 4), at: sizeIndex)
    }

    /// Reads the correlation id at the front of a response frame body without consuming anything.
    public static func peekCorrelationId(_ frame: ByteBuffer) -> Int32? {
        frame.getInteger(at: frame.readerIndex, as: Int32.self)
    }

    /// Decodes a response frame body (header + body, no size prefix).
    public static func decodeResponse<Response: KafkaResponse>(
        _ type: Response.Type, version: Int16, frame: ByteBuffer
    ) throws -> (header: ResponseHeader, body: Response) {
        try Response.checkVersion(version)
        var reader = KafkaReader(frame, context: String(describing: Response.self))
        let header = try ResponseHeader(from: &reader, headerVersion: Response.responseHeaderVersion(version))
        let body = try Response(from: &reader, version: version)
        try reader.expectEnd()
        return (header, body)
    }

    /// Decodes the header of a request frame body (the broker side: the fake broker in tests).
    /// Returns the header and a reader positioned at the body. The header version follows from the API's
    /// flexible versions, which the caller supplies through `isFlexible`.
    public static func decodeRequestHeader(
        frame: ByteBuffer, isFlexible: (KafkaApiKey, Int16) -> Bool
    ) throws -> (header: RequestHeader, body: KafkaReader) {
        guard let key = frame.getInteger(at: frame.readerIndex, as: Int16.self),
            let version = frame.getInteger(at: frame.readerIndex + 2, as: Int16.self)
        else {
            throw KafkaReader(frame, context: "RequestHeader").error(.truncated, "request header shorter than 4 bytes")
        }
        var reader = KafkaReader(frame, context: "RequestHeader")
        let headerVersion: Int16 = isFlexible(KafkaApiKey(rawValue: key), version) ? 2 : 1
        let header = try RequestHeader(from: &reader, headerVersion: headerVersion)
        reader.context = KafkaApiKey(rawValue: key).name + "Request"
        return (header, reader)
    }
}
