import FerryTestSupport
import FileTailing
import Foundation
import Logging

/// Small file helpers for the I/O tests: append with `O_APPEND` (as logging libraries do), truncate, and
/// a quiet logger.
enum Files {
    /// Appends `bytes` to `path` (creating it), in one `write`.
    static func append(_ path: String, _ bytes: [UInt8]) {
        let descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "open \(path): \(errno)")
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            precondition(count > 0, "write \(path): \(errno)")
            written += count
        }
    }

    /// Appends a string.
    static func append(_ path: String, _ text: String) { append(path, Array(text.utf8)) }

    /// Truncates `path` to `size`.
    static func truncate(_ path: String, to size: Int64 = 0) {
        precondition(Glibc.truncate(path, off_t(size)) == 0, "truncate \(path): \(errno)")
    }

    /// The inode of `path`.
    static func inode(_ path: String) -> UInt64? {
        var info = stat()
        return stat(path, &info) == 0 ? UInt64(info.st_ino) : nil
    }

    static func rename(_ from: String, _ to: String) {
        precondition(Glibc.rename(from, to) == 0, "rename \(from) \(to): \(errno)")
    }

    static func remove(_ path: String) {
        precondition(unlink(path) == 0, "unlink \(path): \(errno)")
    }

    /// A logger that drops everything below warning (tests look at events, not logs).
    static var logger: Logger {
        var logger = Logger(label: "ferry.test.tailing")
        logger.logLevel = .critical
        return logger
    }
}
