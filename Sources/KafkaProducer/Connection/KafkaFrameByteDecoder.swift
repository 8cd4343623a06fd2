import KafkaWire
import NIOCore

/// Splits the inbound byte stream into Kafka frames (size prefix removed), refusing oversized ones: first
/// against the connection's absolute maximum, then, as soon as the correlation id is readable, against what
/// the pending request with that id can draw (``BrokerConnection/Pending/maximumResponseSize``). A frame
/// answering no pending request is refused at once. Either way nothing is buffered past the limit: the
/// error closes the connection.
struct KafkaFrameByteDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let frames: KafkaFrameDecoder
    /// The limit for a response with this correlation id, or nil when none is pending (on the event loop).
    let limit: (Int32) -> Int?

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self), size >= 8,
            let correlationId = buffer.getInteger(at: buffer.readerIndex + 4, as: Int32.self)
        {
            guard let maximum = limit(correlationId) else {
                throw KafkaWireError(
                    .invalidLength, "a response with correlation id \(correlationId), which no pending request has",
                    context: "frame", bytes: buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? [])
            }
            guard Int(size) <= maximum else {
                throw KafkaWireError(
                    .frameTooLarge, "a response of \(size) bytes to correlation id \(correlationId); its request can draw at most \(maximum)",
                    context: "frame", bytes: buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? [])
            }
        }
        guard let frame = try frames.decodeFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
