import CZlib

/// Compresses whole buffers into gzip (RFC 1952) members through zlib, reusing one deflate context.
///
/// Not thread-safe: give each thread its own. The context is reset, not rebuilt, between buffers.
public final class GzipCompressor {
    /// zlib's default level, and the Java client's default for Kafka gzip.
    public static let defaultLevel: Int32 = 6

    /// The compression level, 1 (fastest) to 9 (smallest).
    public let level: Int32
    private let stream: UnsafeMutablePointer<z_stream>

    /// Sets up a deflate context with gzip framing (window bits 31) at `level` (1-9).
    public init(level: Int32 = GzipCompressor.defaultLevel) throws {
        guard (1...9).contains(level) else {
            throw CompressionError(.invalidParameter, codec: "gzip", "level \(level) is outside 1-9")
        }
        self.level = level
        stream = .allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = deflateInit2_(
            stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            stream.deallocate()
            throw CompressionError(.initialization, codec: "gzip", "deflateInit2 returned \(status)")
        }
    }

    deinit {
        deflateEnd(stream)
        stream.deallocate()
    }

    /// The largest output that compressing `inputSize` bytes can produce.
    public func maximumCompressedSize(_ inputSize: Int) -> Int {
        Int(deflateBound(stream, uLong(inputSize))) + 32
    }

    /// Compresses `input` into `output`, which must hold ``maximumCompressedSize(_:)`` bytes; returns the
    /// number of bytes written.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard input.count <= Int(UInt32.max), output.count <= Int(UInt32.max) else {
            throw CompressionError(.invalidParameter, codec: "gzip", "buffers over 4 GiB are not supported")
        }
        deflateReset(stream)
        stream.pointee.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.pointee.avail_in = uInt(input.count)
        stream.pointee.next_out = output.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.pointee.avail_out = uInt(output.count)
        let status = deflate(stream, Z_FINISH)
        guard status == Z_STREAM_END else {
            throw CompressionError(
                .compressFailed, codec: "gzip", "deflate returned \(status) with \(stream.pointee.avail_out) bytes of room left")
        }
        return output.count - Int(stream.pointee.avail_out)
    }

    /// Compresses `input` into a new array.
    public func compress(_ input: [UInt8]) throws -> [UInt8] {
        try input.withUnsafeBytes { source in
            var output = [UInt8](repeating: 0, count: maximumCompressedSize(source.count))
            let written = try output.withUnsafeMutableBytes { try compress(source, into: $0) }
            output.removeLast(output.count - written)
            return output
        }
    }
}
