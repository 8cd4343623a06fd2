import CZlib

/// Decompresses gzip data (one or more concatenated members) with a cap on the output size.
public enum GzipDecompressor {
    /// Decompresses `input`; throws ``CompressionError/Code-swift.struct/outputTooLarge`` as soon as the
    /// output would pass `maximumSize`, so a zip bomb costs at most `maximumSize` bytes of memory.
    public static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int) throws -> [UInt8] {
        var stream = z_stream()
        let status = inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard status == Z_OK else {
            throw CompressionError(.initialization, codec: "gzip", "inflateInit2 returned \(status)")
        }
        defer { inflateEnd(&stream) }
        guard input.count <= Int(UInt32.max) else {
            throw CompressionError(.invalidParameter, codec: "gzip", "input over 4 GiB")
        }
        var output: [UInt8] = []
        output.reserveCapacity(min(maximumSize, max(4096, input.count * 4)))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        while true {
            let (result, produced) = chunk.withUnsafeMutableBytes { buffer -> (Int32, Int) in
                stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(buffer.count)
                let result = inflate(&stream, Z_NO_FLUSH)
                return (result, buffer.count - Int(stream.avail_out))
            }
            if produced > 0 {
                guard output.count + produced <= maximumSize else {
                    throw CompressionError(
                        .outputTooLarge, codec: "gzip", "decompressed size exceeds the limit of \(maximumSize) bytes")
                }
                output.append(contentsOf: chunk[0..<produced])
            }
            switch result {
            case Z_STREAM_END:
                // Another member may follow (RFC 1952 allows concatenation).
                guard stream.avail_in > 0 else { return output }
                guard inflateReset(&stream) == Z_OK else {
                    throw CompressionError(.corruptInput, codec: "gzip", "cannot reset for the next member")
                }
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                if stream.avail_in == 0 {
                    throw CompressionError(.truncatedInput, codec: "gzip", "input ended inside the gzip stream")
                }
                continue
            default:
                let detail = stream.msg.map { String(cString: $0) } ?? "inflate returned \(result)"
                throw CompressionError(.corruptInput, codec: "gzip", detail)
            }
        }
    }
}
