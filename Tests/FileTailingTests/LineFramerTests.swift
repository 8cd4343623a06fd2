@testable import FileTailing
import Testing

@Suite("Line framer")
struct LineFramerTests {
    private func frame(
        _ text: [UInt8], max: Int = 100, policy: LongLinePolicy = .split, chunk: Int = 4096
    ) -> (lines: [FramedLine], state: FramerState) {
        var driver = MemoryFramingDriver(framer: LineFramer(maxLineBytes: max, policy: policy, rereadLimit: 8))
        driver.readAvailable(text, chunk: chunk)
        return (driver.lines, driver.state)
    }

    @Test("\\n and \\r\\n end lines; offsets tile the file; the partial last line is held")
    func basics() {
        let (lines, state) = frame(Array("a\r\nbb\n\nccc\r\rx\ntail".utf8))
        #expect(lines.map { String(decoding: $0.content, as: UTF8.self) } == ["a", "bb", "", "ccc\r\rx"])
        #expect(lines.map(\.offset) == [0, 3, 6, 7])
        #expect(lines.map(\.endOffset) == [3, 6, 7, 14])
        #expect(state.lineStart == 14)
        #expect(state.scannedTo == 18)
    }

    @Test("NUL bytes and invalid UTF-8 pass through unchanged")
    func binaryBytes() {
        let line: [UInt8] = [0x00, 0xFF, 0xFE, 0xC3, 0x28, 0x0D, 0x00, 0xE2, 0x82]
        let (lines, _) = frame(line + [0x0A] + line + [0x0D, 0x0A])
        #expect(lines.map(\.content) == [line, line])
        #expect(lines.allSatisfy { $0.flags.isEmpty })
    }

    @Test("a long line is split into pieces of max_line_bytes, offsets contiguous")
    func split() {
        let long = [UInt8](repeating: 0x61, count: 25)
        let (lines, _) = frame(long + [0x0A] + Array("next\n".utf8), max: 10, policy: .split, chunk: 7)
        #expect(lines.map(\.content.count) == [10, 10, 5, 4])
        #expect(lines.map(\.offset) == [0, 10, 20, 26])
        #expect(lines.map(\.endOffset) == [10, 20, 26, 31])
        #expect(lines.prefix(3).allSatisfy { $0.flags == .split })
        #expect(lines[3].flags.isEmpty)
    }

    @Test("a long line is truncated to max_line_bytes, its offsets still cover all of it")
    func truncate() {
        let long = [UInt8](repeating: 0x62, count: 50)
        let (lines, _) = frame(long + Array("\r\nnext\n".utf8), max: 10, policy: .truncate, chunk: 7)
        #expect(lines.count == 2)
        #expect(lines[0].content == [UInt8](repeating: 0x62, count: 10))
        #expect(lines[0].flags == .truncated)
        #expect(lines[0].endOffset == 52)
        #expect(lines[1].offset == 52)
        #expect(lines[1].content == Array("next".utf8))
    }

    @Test("a flushed partial line is delivered unterminated and reading continues after it")
    func flush() {
        var driver = MemoryFramingDriver(framer: LineFramer(maxLineBytes: 100, policy: .split))
        var file = Array("abc".utf8)
        driver.readAvailable(file, chunk: 64)
        #expect(driver.lines.isEmpty)
        driver.flush(file)
        #expect(driver.lines == [FramedLine(offset: 0, endOffset: 3, content: Array("abc".utf8), flags: .unterminated)])
        file += Array("def\n".utf8)
        driver.readAvailable(file, chunk: 64)
        #expect(driver.lines.last == FramedLine(offset: 3, endOffset: 7, content: Array("def".utf8), flags: []))
    }

    @Test("a flushed partial longer than the limit comes out as split pieces, every byte included")
    func flushLong() {
        var driver = MemoryFramingDriver(framer: LineFramer(maxLineBytes: 4, policy: .split, rereadLimit: 2))
        let file = Array("abcd\r".utf8)
        driver.readAvailable(file, chunk: 2)
        #expect(driver.lines.isEmpty)
        driver.flush(file)
        #expect(driver.lines.map(\.content) == [Array("abcd".utf8), [0x0D]])
        #expect(driver.lines.map(\.endOffset) == [4, 5])
        #expect(driver.lines[1].flags == [.unterminated, .split])
    }

    /// The framer, fed through the loop's read protocol with random read sizes, must produce exactly what
    /// the reference produces from all bytes at once, for random lines (short, long, CRLF, NUL, binary).
    @Test("randomized: any chunking gives the reference lines", arguments: [LongLinePolicy.split, .truncate])
    func randomized(policy: LongLinePolicy) {
        let seed: UInt64 = 0xF3A1_2024 ^ (policy == .split ? 1 : 2)
        var random = SeededGenerator(seed: seed)
        for round in 0..<400 {
            let maxLine = Int.random(in: 1...40, using: &random)
            var file: [UInt8] = []
            for _ in 0..<Int.random(in: 0...30, using: &random) {
                let length = Int.random(in: 0...(maxLine * 3), using: &random)
                for _ in 0..<length {
                    file.append([0x61, 0x62, 0x00, 0xFF, 0x0D, 0x20].randomElement(using: &random)!)
                }
                file += Bool.random(using: &random) ? [0x0D, 0x0A] : [0x0A]
            }
            let expected = ReferenceFraming.lines(file, maxLineBytes: maxLine, policy: policy)
            var driver = MemoryFramingDriver(framer: LineFramer(
                maxLineBytes: maxLine, policy: policy, rereadLimit: Int.random(in: 1...16, using: &random)))
            // The file grows in random steps; each step is read in random chunks.
            var visible = 0
            while visible < file.count {
                visible = min(file.count, visible + Int.random(in: 1...50, using: &random))
                driver.readAvailable(Array(file[..<visible]), chunk: Int.random(in: 1...20, using: &random))
            }
            #expect(driver.lines == expected, "seed \(seed) round \(round) max \(maxLine)")
            if driver.lines != expected { return }
        }
    }
}
