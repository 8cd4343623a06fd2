import CLZ4

/// Decompresses LZ4 frames (one or more concatenated) with a cap on the output size.
public enum LZ4FrameDecompressor {
    /// Decompresses `input`; throws ``CompressionError/Code-swift.struct/outputTooLarge`` as soon as the
    /// output would pass `maximumSize`.
    public static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int) throws -> [UInt8] {
        var context: OpaquePointer?
        let created = LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))
        guard LZ4F_isError(created) == 0, let context else {
            throw CompressionError(.initialization, codec: "lz4", LZ4FrameCompressor.describe(created))
        }
        defer { LZ4F_freeDecompressionContext(context) }
        guard let source = input.baseAddress, input.count > 0 else {
            throw CompressionError(.truncatedInput, codec: "lz4", "empty input")
        }
        var output: [UInt8] = []
        output.reserveCapacity(min(maximumSize, max(4096, input.count * 3)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        var consumed = 0
        var hint = 1
        while consumed < input.count {
            var sourceSize = input.count - consumed
            var produced = chunk.count
            hint = chunk.withUnsafeMutableBytes { buffer in
                LZ4F_decompress(context, buffer.baseAddress, &produced, source + consumed, &sourceSize, nil)
            }
            guard LZ4F_isError(hint) == 0 else {
                throw CompressionError(.corruptInput, codec: "lz4", LZ4FrameCompressor.describe(hint))
            }
            consumed += sourceSize
            if produced > 0 {
                guard output.count + produced <= maximumSize else {
                    throw CompressionError(
                        .outputTooLarge, codec: "lz4", "decompressed size exceeds the limit of \(maximumSize) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
            }
            if sourceSize == 0 && produced == 0 {
                break  // no progress possible
            }
        }
        guard hint == 0 else {
            throw CompressionError(.truncatedInput, codec: "lz4", "input ended inside the LZ4 frame")
        }
        return output
    }
}
