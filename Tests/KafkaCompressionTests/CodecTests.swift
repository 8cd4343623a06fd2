import CZstd
import FerryTestSupport
import KafkaCompression
import Testing

private func bytes(hex: String) -> [UInt8] {
    var result: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2)
        result.append(UInt8(hex[index..<next], radix: 16)!)
        index = next
    }
    return result
}

private let sample = Array(String(repeating: "Ferry ships log lines. ", count: 20).utf8)

/// Inputs that exercise the codecs: empty, tiny, text-like, random (incompressible), long runs, and sizes
/// around LZ4's 64 KiB block boundary.
private func corpus() -> [[UInt8]] {
    var random = SeededGenerator(seed: 0x5EED_00C0)
    var inputs: [[UInt8]] = [[], [0x41], sample, random.bytes(10_000), [UInt8](repeating: 7, count: 300_000)]
    for size in [65_535, 65_536, 65_537, 200_003] {
        let text = (0..<size).map { (index: Int) -> UInt8 in
            let letter: Int = (index * 7 + index / 13) % 26
            return UInt8(0x61 + letter)
        }
        inputs.append(text)
    }
    for _ in 0..<30 {
        let size = Int.random(in: 0..<20_000, using: &random)
        let alphabet = Int.random(in: 1...256, using: &random)
        inputs.append((0..<size).map { _ in UInt8(Int.random(in: 0..<alphabet, using: &random)) })
    }
    return inputs
}

@Suite("Compression codecs")
struct CodecTests {
    @Test("gzip round-trips at levels 1, 6 and 9", arguments: [Int32(1), 6, 9])
    func gzipRoundTrip(level: Int32) throws {
        let compressor = try GzipCompressor(level: level)
        for input in corpus() {
            let compressed = try compressor.compress(input)
            #expect(compressed.prefix(2) == [0x1F, 0x8B])  // gzip member magic
            let output = try compressed.withUnsafeBytes { try GzipDecompressor.decompress($0, maximumSize: 1 << 24) }
            #expect(output == input)
        }
    }

    @Test("LZ4 frames round-trip, fast and high-compression", arguments: [Int32(0), 9])
    func lz4RoundTrip(level: Int32) throws {
        let compressor = try LZ4FrameCompressor(level: level)
        for input in corpus() {
            let compressed = try compressor.compress(input)
            #expect(compressed.prefix(4) == [0x04, 0x22, 0x4D, 0x18])  // LZ4 frame magic
            let output = try compressed.withUnsafeBytes { try LZ4FrameDecompressor.decompress($0, maximumSize: 1 << 24) }
            #expect(output == input)
        }
    }

    @Test("data compressed by Python's gzip and lz4 modules decodes (independent encoders)")
    func foreignFixtures() throws {
        // Made with: gzip.compress(d, mtime=0); lz4.frame.compress(d); lz4.frame.compress(d, block_linked=False,
        // content_checksum=True, store_size=True), where d = b'Ferry ships log lines. ' * 20.
        let gzip = bytes(hex: "1f8b0800000000000203734b2d2aaa5428cec82c2856c8c94f57c8c9cc4b2dd653701b151e7ac200d05cbe37cc010000")
        let lz4 = bytes(hex: "04224d186840cc010000000000000523000000ff084665727279207368697073206c6f67206c696e65732e201700ff9e506e65732e2000000000")
        let lz4Checked = bytes(hex: "04224d186c40cc010000000000002b23000000ff084665727279207368697073206c6f67206c696e65732e201700ff9e506e65732e20000000007f353f98")
        #expect(try gzip.withUnsafeBytes { try GzipDecompressor.decompress($0, maximumSize: 4096) } == sample)
        #expect(try lz4.withUnsafeBytes { try LZ4FrameDecompressor.decompress($0, maximumSize: 4096) } == sample)
        #expect(try lz4Checked.withUnsafeBytes { try LZ4FrameDecompressor.decompress($0, maximumSize: 4096) } == sample)
    }

    @Test("concatenated gzip members decode as one stream (RFC 1952)")
    func gzipMembers() throws {
        let compressor = try GzipCompressor()
        let both = try compressor.compress(Array("first ".utf8)) + compressor.compress(Array("second".utf8))
        #expect(try both.withUnsafeBytes { try GzipDecompressor.decompress($0, maximumSize: 100) } == Array("first second".utf8))
    }

    @Test("a zip bomb stops at the cap with outputTooLarge, for every codec")
    func bombs() throws {
        let zeros = [UInt8](repeating: 0, count: 8 << 20)
        let gzip = try GzipCompressor(level: 9).compress(zeros)
        let lz4 = try LZ4FrameCompressor().compress(zeros)
        var zstd = [UInt8](repeating: 0, count: ZSTD_compressBound(zeros.count))
        let zstdSize = zstd.withUnsafeMutableBytes { out in
            zeros.withUnsafeBytes { ZSTD_compress(out.baseAddress, out.count, $0.baseAddress, $0.count, 3) }
        }
        zstd.removeLast(zstd.count - zstdSize)
        let cap = 1 << 20
        let cases: [(String, () throws -> [UInt8])] = [
            ("gzip", { try gzip.withUnsafeBytes { try GzipDecompressor.decompress($0, maximumSize: cap) } }),
            ("lz4", { try lz4.withUnsafeBytes { try LZ4FrameDecompressor.decompress($0, maximumSize: cap) } }),
            ("zstd", { try zstd.withUnsafeBytes { try ZstdDecompressor.decompress($0, maximumSize: cap) } }),
        ]
        for (name, run) in cases {
            #expect(throws: CompressionError.self, "\(name)") { try run() }
            do { _ = try run() } catch let error as CompressionError { #expect(error.code == .outputTooLarge, "\(name)") }
        }
        // A snappy block declaring 100 MB is refused from its preamble alone.
        let snappy: [UInt8] = [0x80, 0xC2, 0xD7, 0x2F, 0x00, 0x41]
        #expect { try snappy.withUnsafeBytes { try SnappyDecompressor.decompress($0, maximumSize: cap) } } throws: {
            ($0 as? CompressionError)?.code == .outputTooLarge
        }
    }

    @Test("zstd frames made by libzstd decode, including several frames in a row")
    func zstdDecode() throws {
        for input in corpus().prefix(12) {
            var frame = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let size = frame.withUnsafeMutableBytes { out in
                input.withUnsafeBytes { ZSTD_compress(out.baseAddress, out.count, $0.baseAddress, $0.count, 3) }
            }
            #expect(ZSTD_isError(size) == 0)
            frame.removeLast(frame.count - size)
            let twice = frame + frame
            #expect(try twice.withUnsafeBytes { try ZstdDecompressor.decompress($0, maximumSize: 1 << 24) } == input + input)
        }
    }

    @Test("snappy raw blocks and xerial framing decode: literals, 1/2/4-byte-offset copies, overlapping copies")
    func snappyDecode() throws {
        // Raw block for "abcdabcdabcdXYZXYZXYZXYZ!" (25 bytes), written from the format description:
        // literal "abcd"; copy len 8 off 4 (1-byte offset); literal "XYZ"; copy len 9 off 3 (2-byte offset);
        // literal "!".
        let raw: [UInt8] = [
            25,
            0x0C, 0x61, 0x62, 0x63, 0x64,  // literal, length 4
            0x11, 0x04,  // copy-1: length 4 + (4) = 8, offset 4
            0x08, 0x58, 0x59, 0x5A,  // literal, length 3
            0x22, 0x03, 0x00,  // copy-2: length 1 + 8 = 9, offset 3
            0x00, 0x21,  // literal "!"
        ]
        let expected = Array("abcdabcdabcdXYZXYZXYZXYZ!".utf8)
        #expect(try raw.withUnsafeBytes { try SnappyDecompressor.decompress($0, maximumSize: 100) } == expected)
        // A 4-byte-offset copy: literal "hello", then copy length 5 offset 5.
        let far: [UInt8] = [10, 0x10, 0x68, 0x65, 0x6C, 0x6C, 0x6F, 0x13, 0x05, 0x00, 0x00, 0x00]
        #expect(try far.withUnsafeBytes { try SnappyDecompressor.decompress($0, maximumSize: 100) } == Array("hellohello".utf8))
        // Xerial framing: magic, version 1, compatible 1, then two blocks.
        var xerial: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1]
        for block in [raw, far] {
            xerial += [0, 0, 0, UInt8(block.count)] + block
        }
        #expect(try xerial.withUnsafeBytes { try SnappyDecompressor.decompress($0, maximumSize: 100) } == expected + Array("hellohello".utf8))
    }

    @Test("corrupt input is an error with a code, never a crash")
    func corruptInputs() throws {
        var random = SeededGenerator(seed: 0x5EED_00C1)
        let valid = [
            try GzipCompressor().compress(sample), try LZ4FrameCompressor().compress(sample),
        ]
        for round in 0..<3000 {
            var damaged = valid[round % 2]
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                let index = Int.random(in: 0..<damaged.count, using: &random)
                damaged[index] = UInt8.random(in: 0...255, using: &random)
            }
            if Bool.random(using: &random) { damaged.removeLast(Int.random(in: 0..<damaged.count, using: &random)) }
            let decoders: [(UnsafeRawBufferPointer) throws -> [UInt8]] = [
                { try GzipDecompressor.decompress($0, maximumSize: 1 << 16) },
                { try LZ4FrameDecompressor.decompress($0, maximumSize: 1 << 16) },
                { try ZstdDecompressor.decompress($0, maximumSize: 1 << 16) },
                { try SnappyDecompressor.decompress($0, maximumSize: 1 << 16) },
            ]
            for decode in decoders {
                do {
                    _ = try damaged.withUnsafeBytes { try decode($0) }
                } catch is CompressionError {
                    // expected for most inputs
                }
            }
        }
    }

    @Test("levels out of range are rejected with invalidParameter")
    func levels() {
        #expect { try GzipCompressor(level: 0) } throws: { ($0 as? CompressionError)?.code == .invalidParameter }
        #expect { try GzipCompressor(level: 10) } throws: { ($0 as? CompressionError)?.code == .invalidParameter }
        #expect { try LZ4FrameCompressor(level: 18) } throws: { ($0 as? CompressionError)?.code == .invalidParameter }
    }
}
