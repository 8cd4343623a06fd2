#if canImport(Glibc)
import Glibc
#endif

/// One inotify record.
struct InotifyEvent: Hashable, Sendable {
    /// Watch descriptor (-1 for `IN_Q_OVERFLOW`).
    var watch: Int32
    /// `IN_*` bits.
    var mask: UInt32
    /// The name inside a watched directory; nil for events on the watched object itself, or when the name
    /// is not valid UTF-8 (then ``undecodableName`` is true).
    var name: String?
    /// Whether the record had a name that is not valid UTF-8.
    var undecodableName: Bool

    /// Whether any of `bits` is set.
    func has(_ bits: UInt32) -> Bool { mask & bits != 0 }
}

/// A non-blocking inotify instance (Linux). Reads whole batches of records into an aligned buffer.
final class Inotify {
    /// The instance's descriptor (for `poll`).
    let descriptor: Int32
    private let buffer: UnsafeMutableRawPointer
    private let bufferSize = 256 << 10

    /// Events a watched directory reports.
    static let directoryMask: UInt32 =
        UInt32(IN_CREATE) | UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM) | UInt32(IN_MOVED_TO) | UInt32(IN_MODIFY)
        | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR)
        | UInt32(IN_EXCL_UNLINK)
    /// Events a watched file (the target of a symbolic link) reports.
    static let fileMask: UInt32 =
        UInt32(IN_MODIFY) | UInt32(IN_ATTRIB) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)

    /// Opens an instance, or returns the `errno` of `inotify_init1`.
    static func open() -> Result<Inotify, FileIOFailure> {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { return .failure(FileIOFailure(errno: errno, operation: "inotify_init1")) }
        return .success(Inotify(descriptor: descriptor))
    }

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer = .allocate(byteCount: bufferSize, alignment: 8)
    }

    deinit {
        close(descriptor)
        buffer.deallocate()
    }

    /// Adds (or updates) a watch on `path`; returns the watch descriptor or the failure (`ENOSPC`: the
    /// per-user watch limit is reached).
    func addWatch(_ path: String, mask: UInt32) -> Result<Int32, FileIOFailure> {
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else { return .failure(FileIOFailure(errno: errno, operation: "inotify_add_watch")) }
        return .success(watch)
    }

    /// Removes a watch (errors are ignored: the watch may already be gone with its directory).
    func removeWatch(_ watch: Int32) {
        _ = inotify_rm_watch(descriptor, watch)
    }

    /// Reads every queued record, in order. Returns false if reading failed with something else than
    /// "nothing more" (`EAGAIN`).
    @discardableResult
    func drain(_ body: (InotifyEvent) -> Void) -> Bool {
        while true {
            let count = read(descriptor, buffer, bufferSize)
            if count < 0 {
                if errno == EINTR { continue }
                return errno == EAGAIN || errno == EWOULDBLOCK
            }
            if count == 0 { return true }
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= count {
                let record = buffer + offset
                let watch = record.loadUnaligned(fromByteOffset: 0, as: Int32.self)
                let mask = record.loadUnaligned(fromByteOffset: 4, as: UInt32.self)
                let nameLength = Int(record.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
                var name: String?
                var undecodable = false
                if nameLength > 0 {
                    let bytes = UnsafeRawBufferPointer(start: record + headerSize, count: nameLength)
                    let used = bytes.firstIndex(of: 0) ?? nameLength
                    name = String(validating: bytes[..<used], as: UTF8.self)
                    undecodable = name == nil
                }
                body(InotifyEvent(watch: watch, mask: mask, name: name, undecodableName: undecodable))
                offset += headerSize + nameLength
            }
        }
    }
}

/// Monotonic time in milliseconds.
enum MonotonicClock {
    /// Milliseconds of `CLOCK_MONOTONIC`.
    static func milliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
