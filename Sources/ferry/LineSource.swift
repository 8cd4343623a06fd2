#if canImport(Glibc)
import Glibc
#endif

/// Reads a file or standard input in large chunks and hands out lines without copying: a line is the
/// bytes before `\n`, without a trailing `\r`; a last line without `\n` counts too.
struct LineSource {
    /// A failed open or read.
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private let chunkSize = 1 << 20

    /// Opens `path`, or standard input when nil.
    init(path: String?) throws {
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

    /// Calls `body` with every line, in order; `chunkRead` after each read from the input.
    func forEachLine(chunkRead: () -> Void = {}, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        defer { if ownsDescriptor { close(descriptor) } }
        var buffer = [UInt8](repeating: 0, count: chunkSize)
        var filled = 0
        while true {
            if filled == buffer.count {
                buffer.append(contentsOf: repeatElement(0, count: buffer.count))  // a line longer than the buffer
            }
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                if filled > 0 {
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
                    try body(Self.trimCarriageReturn(UnsafeRawBufferPointer(rebasing: bytes[start..<end])))
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
