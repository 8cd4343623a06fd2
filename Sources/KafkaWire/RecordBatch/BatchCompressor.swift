import KafkaCompression

/// Compresses the records section of a batch with one codec, reusing the codec's context between batches.
/// Ferry writes none, gzip and LZ4; it reads snappy and zstd too (see ``RecordBatch``).
///
/// Not thread-safe: each thread that seals batches owns its compressor.
public final class BatchCompressor {
    /// The codec written in the batch attributes.
    public let compression: RecordBatchCompression
    private let gzip: GzipCompressor?
    private let lz4: LZ4FrameCompressor?

    /// Makes a compressor for `compression` at `level` (gzip: 1-9, default 6; lz4: 0-17, default 0 = fast).
    /// Throws for snappy and zstd, which Ferry does not write, and for a level out of range.
    public init(_ compression: RecordBatchCompression, level: Int32? = nil) throws {
        self.compression = compression
        switch compression {
        case .none:
            gzip = nil
            lz4 = nil
        case .gzip:
            gzip = try Self.wrap { try GzipCompressor(level: level ?? GzipCompressor.defaultLevel) }
            lz4 = nil
        case .lz4:
            gzip = nil
            lz4 = try Self.wrap { try LZ4FrameCompressor(level: level ?? 0) }
        case .snappy, .zstd:
            throw KafkaWireError(
                .compression, "Ferry reads \(compression) batches but does not write them; use none, gzip or lz4",
                context: "BatchCompressor")
        }
    }

    /// The largest output for `inputSize` bytes of records.
    public func maximumCompressedSize(_ inputSize: Int) -> Int {
        if let gzip { return gzip.maximumCompressedSize(inputSize) }
        if let lz4 { return lz4.maximumCompressedSize(inputSize) }
        return inputSize
    }

    /// Compresses `input` into `output` (sized with ``maximumCompressedSize(_:)``); returns bytes written.
    public func compress(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Int {
        try Self.wrap {
            if let gzip { return try gzip.compress(input, into: output) }
            if let lz4 { return try lz4.compress(input, into: output) }
            output.copyMemory(from: input)
            return input.count
        }
    }

    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as CompressionError {
            throw KafkaWireError(
                .compression, error.message, context: "RecordBatch.records(\(error.codec))",
                underlying: error.description)
        }
    }
}
