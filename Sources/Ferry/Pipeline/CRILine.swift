/// Reads one line of the CRI log format (containerd, CRI-O):
/// `2016-10-06T00:17:09.669794202Z stdout F the text` — time, stream, a tag (`P` partial or `F` full,
/// possibly with more `:`-separated flags), then the text.
enum CRILine {
    /// What a line held, as ranges of the line.
    struct Parsed {
        var stream: Range<Int>
        /// False for a `P` piece: the text continues in the next line.
        var complete: Bool
        var text: Range<Int>
    }

    /// Parses `line`; nil when it is not in the CRI format.
    static func parse(_ line: UnsafeRawBufferPointer) -> Parsed? {
        func field(from start: Int) -> Range<Int>? {
            var end = start
            while end < line.count, line[end] != 0x20 { end += 1 }
            return end > start ? start..<end : nil
        }
        guard let time = field(from: 0), time.upperBound < line.count,
            let stream = field(from: time.upperBound + 1), stream.upperBound < line.count,
            let tag = field(from: stream.upperBound + 1)
        else { return nil }
        let first = line[tag.lowerBound]
        guard first == UInt8(ascii: "P") || first == UInt8(ascii: "F") else { return nil }
        guard tag.count == 1 || line[tag.lowerBound + 1] == UInt8(ascii: ":") else { return nil }
        let textStart = min(tag.upperBound + 1, line.count)
        return Parsed(stream: stream, complete: first == UInt8(ascii: "F"), text: textStart..<line.count)
    }
}
