#if canImport(Glibc)
import Glibc
#endif

/// Where `start_at: end` begins in a file: just after its last complete line, so that a line being written
/// at that moment is delivered whole. One rule for the tailer, `ferry check` and the agent.
public enum LineBoundary {
    /// The offset just after the last `\n` of the file open at `descriptor`, of `size` bytes, looking back at
    /// most `maxLineBytes`. With no newline found: 0 if the whole file was searched (a single line being
    /// written), else `size` (the line there is longer than `maxLineBytes`).
    public static func last(descriptor: Int32, size: Int64, maxLineBytes: Int) -> Int64 {
        guard size > 0 else { return 0 }
        let block = 64 << 10
        var end = size
        let limit = max(0, size - Int64(max(maxLineBytes, 1)))
        var bytes = [UInt8](repeating: 0, count: block)
        while end > limit {
            let start = max(limit, end - Int64(block))
            let length = Int(end - start)
            let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, length, off_t(start)) }
            guard count == length else { return size }
            if let index = bytes[..<length].lastIndex(of: 0x0A) { return start + Int64(index) + 1 }
            end = start
        }
        return limit == 0 ? 0 : size
    }

    /// The same for the file at `path` (opened and closed here); 0 when it cannot be opened.
    public static func last(path: String, size: Int64, maxLineBytes: Int) -> Int64 {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { return 0 }
        defer { close(descriptor) }
        return last(descriptor: descriptor, size: size, maxLineBytes: maxLineBytes)
    }
}
