#if canImport(Glibc)
import Glibc
#endif

/// Reads a file or standard input in large chunks and hands out lines without copying: a line is the
/// bytes before `\n`, without a trailing `\r`; a last line without `\n` counts too.
///
/// Memory is bounded: a line longer than ``maxLineBytes`` is not kept. Its bytes are skipped up to its
/// newline and it is reported to `tooLong` with its length, so that input without any newline (a binary
/// file, a stream of one endless line) cannot grow the process without bound.
struct LineSource {
    /// A failed open or read.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let chunkSize = 1 << 20
    /// The longest line handed out.
    let maxLineBytes: Int

    /// Opens `path`, or standard input when nil.
    init(path: String?, maxLineBytes: Int) throws {
        self.maxLineBytes = max(1, maxLineBytes)
        if let path {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw Failure(description: "\(path): \(String(cString: strerror(errno)))") }
            descriptor = fd
            ownsDescriptor = true
        } else {
            descriptor = 0
            ownsDescriptor = false
        }
    }

    /// Calls `body` with every line, in order, `tooLong` with the length of every line longer than
    /// ``maxLineBytes`` (in its place in the order), and `chunkRead` after each read from the input.
    func forEachLine(
        chunkRead: () -> Void = {}, tooLong: (Int64) throws -> Void, _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        defer { if ownsDescriptor { close(descriptor) } }
        // Room for the longest line, its `\r\n`, and one byte more to know it is longer.
        let largest = maxLineBytes + 3
        var buffer = [UInt8](repeating: 0, count: min(chunkSize, largest))
        var filled = 0
        /// Bytes of a too-long line skipped so far (nil: not skipping).
        var skipping: Int64? = nil
        while true {
            if filled == buffer.count {
                if buffer.count < largest {
                    buffer.append(contentsOf: repeatElement(0, count: min(buffer.count, largest - buffer.count)))
                } else {
                    // A full buffer without a newline: this line is too long. Drop what is held, keep counting.
                    skipping = (skipping ?? 0) + Int64(filled)
                    filled = 0
                }
            }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                if let skipped = skipping {
                    try tooLong(skipped + Int64(filled))
                } else if filled > 0 {
                    try buffer.withUnsafeBytes { try body(Self.trimCarriageReturn(UnsafeRawBufferPointer(rebasing: $0[0..<filled]))) }
                }
                return
            }
            filled += count
            chunkRead()
            let consumed = try buffer.withUnsafeBytes { bytes -> Int in
                var start = 0
                let base = bytes.baseAddress!
                while start < filled, let found = memchr(base + start, 0x0A, filled - start) {
                    let end = base.distance(to: UnsafeRawPointer(found))
                    if let skipped = skipping {
                        skipping = nil
                        try tooLong(skipped + Int64(end - start))
                    } else {
                        let line = Self.trimCarriageReturn(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                        if line.count > maxLineBytes {
                            try tooLong(Int64(line.count))
                        } else {
                            try body(line)
                        }
                    }
                    start = end + 1
                }
                return start
            }
            if consumed > 0 {
                buffer.withUnsafeMutableBytes { bytes in
                    let base = bytes.baseAddress!
                    memmove(base, base + consumed, filled - consumed)
                }
                filled -= consumed
            }
        }
    }

    private static func trimCarriageReturn(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        if let last = line.last, last == 0x0D { return UnsafeRawBufferPointer(rebasing: line.dropLast()) }
        return line
    }
}
