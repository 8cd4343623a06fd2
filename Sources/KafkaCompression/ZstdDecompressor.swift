import CZstd

/// Decompresses zstd data (one or more frames) with a cap on the output size. Ferry does not write zstd;
/// it reads it so that its verification tools can decode what other producers wrote.
public enum ZstdDecompressor {
    /// Decompresses `input`; throws ``CompressionError/Code-swift.struct/outputTooLarge`` as soon as the
    /// output would pass `maximumSize`.
    public static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int) throws -> [UInt8] {
        guard let stream = ZSTD_createDStream() else {
            throw CompressionError(.initialization, codec: "zstd", "ZSTD_createDStream failed")
        }
        defer { ZSTD_freeDStream(stream) }
        ZSTD_initDStream(stream)
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var inBuffer = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
        var lastResult = 1
        while inBuffer.pos < inBuffer.size || lastResult != 0 {
            let (result, produced) = chunk.withUnsafeMutableBytes { buffer -> (Int, Int) in
                var outBuffer = ZSTD_outBuffer(dst: buffer.baseAddress, size: buffer.count, pos: 0)
                let result = ZSTD_decompressStream(stream, &outBuffer, &inBuffer)
                return (result, outBuffer.pos)
            }
            if ZSTD_isError(result) != 0 {
                throw CompressionError(.corruptInput, codec: "zstd", String(cString: ZSTD_getErrorName(result)))
            }
            if produced > 0 {
                guard output.count + produced <= maximumSize else {
                    throw CompressionError(
                        .outputTooLarge, codec: "zstd", "decompressed size exceeds the limit of \(maximumSize) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
            }
            lastResult = result
            if inBuffer.pos >= inBuffer.size && produced < chunk.count && result != 0 {
                throw CompressionError(.truncatedInput, codec: "zstd", "input ended inside a zstd frame")
            }
        }
        return output
    }
}
