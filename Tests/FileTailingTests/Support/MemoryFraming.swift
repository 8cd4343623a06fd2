@testable import FileTailing

/// A line with its bytes, as a test compares them.
struct FramedLine: Hashable, CustomStringConvertible {
    var offset: Int64
    var endOffset: Int64
    var content: [UInt8]
    var flags: TailedLine.Flags

    var description: String {
        "[\(offset)..<\(endOffset) \(content.count)B \(flags.rawValue) \(String(decoding: content.prefix(20), as: UTF8.self))]"
    }
}

/// Drives a ``LineFramer`` over an in-memory "file" with the same protocol as the tailer's loop: read at
/// `readOffset`, frame, read heads with `pread`-like slicing, stop at a short read.
struct MemoryFramingDriver {
    let framer: LineFramer
    var state: FramerState
    var lines: [FramedLine] = []
    let sink = LineSink(initialCapacity: 16)

    init(framer: LineFramer, offset: Int64 = 0) {
        self.framer = framer
        self.state = FramerState(offset: offset)
    }

    /// Reads everything `file` holds past the state, in reads of `chunk` bytes (plus the carried partial).
    mutating func readAvailable(_ file: [UInt8], chunk: Int) {
        while true {
            let position = framer.readOffset(state)
            let carried = Int(state.scannedTo - position)
            let wanted = carried + chunk
            let start = Int(position)
            let end = min(file.count, start + wanted)
            guard start < end else { return }
            let got = Array(file[start..<end])
            got.withUnsafeBytes { buffer in
                var from = 0
                while true {
                    let stop = framer.frame(buffer, bufferOffset: position, from: from, state: &state, into: sink)
                    collect(buffer)
                    guard case .head(let request, let resumeAt) = stop else { break }
                    deliverHead(request, file)
                    state = request.nextState
                    from = resumeAt
                }
            }
            if got.count < wanted { return }
        }
    }

    /// Flushes the partial line (timeout or release).
    mutating func flush(_ file: [UInt8]) {
        while let request = framer.flushPartial(state) {
            deliverHead(request, file)
            state = request.nextState
        }
    }

    private mutating func collect(_ buffer: UnsafeRawBufferPointer) {
        for line in sink.lines {
            let start = Int(line.bufferStart)
            lines.append(FramedLine(
                offset: line.offset, endOffset: line.endOffset,
                content: Array(buffer[start..<start + Int(line.length)]), flags: line.flags))
        }
        sink.removeAll()
    }

    private mutating func deliverHead(_ request: HeadRequest, _ file: [UInt8]) {
        let start = Int(request.offset)
        lines.append(FramedLine(
            offset: request.line.offset, endOffset: request.line.endOffset,
            content: Array(file[start..<start + request.length]), flags: request.line.flags))
    }
}

/// The reference: all bytes at once, split on `\n`, `\r\n` stripped, long lines split or truncated.
enum ReferenceFraming {
    static func lines(_ file: [UInt8], maxLineBytes: Int, policy: LongLinePolicy) -> [FramedLine] {
        var result: [FramedLine] = []
        var start = 0
        for index in file.indices where file[index] == 0x0A {
            var contentEnd = index
            if contentEnd > start, file[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            var length = contentEnd - start
            if length <= maxLineBytes {
                result.append(FramedLine(
                    offset: Int64(start), endOffset: Int64(index + 1), content: Array(file[start..<contentEnd]),
                    flags: []))
            } else if policy == .truncate {
                result.append(FramedLine(
                    offset: Int64(start), endOffset: Int64(index + 1),
                    content: Array(file[start..<start + maxLineBytes]), flags: .truncated))
            } else {
                var pieceStart = start
                while length > maxLineBytes {
                    result.append(FramedLine(
                        offset: Int64(pieceStart), endOffset: Int64(pieceStart + maxLineBytes),
                        content: Array(file[pieceStart..<pieceStart + maxLineBytes]), flags: .split))
                    pieceStart += maxLineBytes
                    length -= maxLineBytes
                }
                result.append(FramedLine(
                    offset: Int64(pieceStart), endOffset: Int64(index + 1),
                    content: Array(file[pieceStart..<contentEnd]), flags: .split))
            }
            start = index + 1
        }
        return result
    }
}

/// A small, seedable generator (SplitMix64) so randomized tests replay from a printed seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
