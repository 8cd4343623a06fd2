import NIOCore

/// Splits a byte stream into Kafka frames: a big-endian int32 size followed by that many bytes.
///
/// The declared size is checked against ``maximumFrameSize`` before anything waits for the body, so a
/// hostile or corrupt size (2 GiB, negative) is an error at once and never an allocation.
public struct KafkaFrameDecoder: Sendable {
    /// The default maximum: 100 MiB, Kafka's `socket.request.max.bytes`.
    public static let defaultMaximumFrameSize = 100 * 1024 * 1024

    /// Frames larger than this are rejected.
    public var maximumFrameSize: Int

    /// Makes a decoder.
    public init(maximumFrameSize: Int = KafkaFrameDecoder.defaultMaximumFrameSize) {
        self.maximumFrameSize = maximumFrameSize
    }

    /// Removes one complete frame's body from the front of `buffer`, or returns `nil` (consuming nothing)
    /// when the frame is not complete yet. Throws on a size that is negative or above the maximum.
    public func decodeFrame(from buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let size = buffer.getInteger(at: buffer.readerIndex, as: Int32.self) else { return nil }
        guard size >= 0 else {
            throw KafkaWireError(
                .invalidLength, "negative frame size \(size)", context: "frame",
                bytes: buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? [])
        }
        guard Int(size) <= maximumFrameSize else {
            throw KafkaWireError(
                .frameTooLarge, "frame of \(size) bytes exceeds the maximum of \(maximumFrameSize)", context: "frame",
                bytes: buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, 64)) ?? [])
        }
        guard buffer.readableBytes >= 4 + Int(size) else { return nil }
        buffer.moveReaderIndex(forwardBy: 4)
        return buffer.readSlice(length: Int(size))
    }
}
