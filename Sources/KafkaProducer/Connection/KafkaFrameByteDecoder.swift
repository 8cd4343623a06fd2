import KafkaWire
import NIOCore

/// Splits the inbound byte stream into Kafka frames (size prefix removed), refusing oversized ones.
struct KafkaFrameByteDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let frames: KafkaFrameDecoder

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try frames.decodeFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}
