import CLZ4

/// Compresses whole buffers into the standard LZ4 frame format (what Kafka >= 0.10 expects for
/// `compression.type=lz4`), reusing one compression context.
///
/// Frames use independent 64 KiB blocks and no content checksum, as the Java client writes them.
/// Not thread-safe: give each thread its own.
public final class LZ4FrameCompressor {
    /// The compression level: 0-2 use the fast compressor, 3-12 the high-compression one.
    public let level: Int32
    private var context: OpaquePointer?
    private var preferences: LZ4F_preferences_t

    /// Sets up a context at `level` (0 = liblz4's fast default; up to 12).
    public init(level: Int32 = 0) throws {
        guard (0...17).contains(level) else {
            throw CompressionError(.invalidParameter, codec: "lz4", "level \(level) is outside 0-17")
        }
        self.level = level
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        preferences.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum
        preferences.compressionLevel = min(level, 12)
        self.preferences = preferences
        let status = LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(status) == 0, context != nil else {
            throw CompressionError(.initialization, codec: "lz4", Self.describe(status))
        }
    }

    deinit { LZ4F_freeCompressionContext(context) }

    /// The largest output that compressing `inputSize` bytes can produce.
    public func maximumCompressedSize(_ inputSize: Int) -> Int {
        var preferences = self.preferences
        return Int(LZ4F_compressBound(inputSize, &preferences)) + 19 + 8  // + frame header + end mark
    }

    /// Compresses `input` into `output`, which must hold ``maximumCompressedSize(_:)`` bytes; returns the
    /// number of bytes written.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = output.baseAddress else {
            throw CompressionError(.invalidParameter, codec: "lz4", "empty output buffer")
        }
        var written = 0
        let header = LZ4F_compressBegin(context, base, output.count, &preferences)
        guard LZ4F_isError(header) == 0 else {
            throw CompressionError(.compressFailed, codec: "lz4", Self.describe(header))
        }
        written += header
        if input.count > 0 {
            let body = LZ4F_compressUpdate(context, base + written, output.count - written, input.baseAddress, input.count, nil)
            guard LZ4F_isError(body) == 0 else {
                throw CompressionError(.compressFailed, codec: "lz4", Self.describe(body))
            }
            written += body
        }
        let end = LZ4F_compressEnd(context, base + written, output.count - written, nil)
        guard LZ4F_isError(end) == 0 else {
            throw CompressionError(.compressFailed, codec: "lz4", Self.describe(end))
        }
        return written + end
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

    static func describe(_ code: Int) -> String {
        guard let name = LZ4F_getErrorName(code) else { return "liblz4 error \(code)" }
        return String(cString: name)
    }
}
