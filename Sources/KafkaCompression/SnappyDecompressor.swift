/// Decompresses snappy data, raw or in the xerial framing that the Java client writes
/// (`\x82SNAPPY\0`, two int32 versions, then blocks of int32 length + raw snappy). Pure Swift; output capped.
/// Ferry does not write snappy; it reads it so that its verification tools decode other producers' batches.
public enum SnappyDecompressor {
    private static let xerialMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]

    /// Decompresses `input`; throws ``CompressionError/Code-swift.struct/outputTooLarge`` when the output
    /// would pass `maximumSize` (checked against each block's declared size before anything is allocated).
    public static func decompress(_ input: UnsafeRawBufferPointer, maximumSize: Int) throws -> [UInt8] {
        var output: [UInt8] = []
        if input.count >= 16 && xerialMagic.elementsEqual(input[0..<8]) {
            var position = 16
            while position < input.count {
                guard position + 4 <= input.count else {
                    throw CompressionError(.truncatedInput, codec: "snappy", "xerial block length cut short")
                }
                let length = Int(readBigEndian32(input, position))
                position += 4
                guard length <= input.count - position else {
                    throw CompressionError(.truncatedInput, codec: "snappy", "xerial block of \(length) bytes cut short")
                }
                try decompressRaw(
                    UnsafeRawBufferPointer(rebasing: input[position..<(position + length)]), into: &output,
                    maximumSize: maximumSize)
                position += length
            }
            return output
        }
        try decompressRaw(input, into: &output, maximumSize: maximumSize)
        return output
    }

    private static func readBigEndian32(_ bytes: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    /// Decompresses one raw snappy block, appending to `output`.
    static func decompressRaw(_ input: UnsafeRawBufferPointer, into output: inout [UInt8], maximumSize: Int) throws {
        func corrupt(_ why: String) -> CompressionError { CompressionError(.corruptInput, codec: "snappy", why) }
        // Preamble: the uncompressed length, a varint of at most 5 bytes.
        var position = 0
        var declared = 0
        var shift = 0
        while true {
            guard position < input.count else { throw CompressionError(.truncatedInput, codec: "snappy", "no preamble") }
            let byte = input[position]
            position += 1
            declared |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 { break }
            shift += 7
            guard shift < 35 else { throw corrupt("preamble varint too long") }
        }
        guard declared <= maximumSize - output.count else {
            throw CompressionError(
                .outputTooLarge, codec: "snappy", "decompressed size exceeds the limit of \(maximumSize) bytes")
        }
        let blockStart = output.count
        let blockEnd = blockStart + declared
        output.reserveCapacity(blockEnd)
        while position < input.count {
            let tag = input[position]
            position += 1
            switch tag & 3 {
            case 0:  // literal
                var length = Int(tag >> 2) + 1
                if length > 60 {
                    let extra = length - 60
                    guard position + extra <= input.count else { throw corrupt("literal length cut short") }
                    length = 0
                    for index in 0..<extra { length |= Int(input[position + index]) << (8 * index) }
                    length += 1
                    position += extra
                }
                guard length <= input.count - position else { throw corrupt("literal runs past the input") }
                guard length <= blockEnd - output.count else { throw corrupt("literal runs past the declared size") }
                output.append(contentsOf: input[position..<(position + length)])
                position += length
            default:
                let length: Int
                let offset: Int
                switch tag & 3 {
                case 1:
                    guard position + 1 <= input.count else { throw corrupt("copy cut short") }
                    length = 4 + Int((tag >> 2) & 7)
                    offset = Int(tag >> 5) << 8 | Int(input[position])
                    position += 1
                case 2:
                    guard position + 2 <= input.count else { throw corrupt("copy cut short") }
                    length = 1 + Int(tag >> 2)
                    offset = Int(input[position]) | Int(input[position + 1]) << 8
                    position += 2
                default:
                    guard position + 4 <= input.count else { throw corrupt("copy cut short") }
                    length = 1 + Int(tag >> 2)
                    offset = Int(input[position]) | Int(input[position + 1]) << 8 | Int(input[position + 2]) << 16
                        | Int(input[position + 3]) << 24
                    position += 4
                }
                guard offset > 0, offset <= output.count - blockStart else { throw corrupt("copy offset \(offset) out of range") }
                guard length <= blockEnd - output.count else { throw corrupt("copy runs past the declared size") }
                let from = output.count - offset
                for index in 0..<length { output.append(output[from + index]) }
            }
        }
        guard output.count == blockEnd else {
            throw CompressionError(.truncatedInput, codec: "snappy", "produced \(output.count - blockStart) of \(declared) bytes")
        }
    }
}
