import FileTailing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ``CheckpointFileSystem`` over the real system calls.
public struct PosixCheckpointFileSystem: CheckpointFileSystem, Sendable {
    /// Makes the real file system.
    public init() {}

    /// Reads the whole file (`open`, `fstat`, `read` to the end); nil on `ENOENT`.
    public func readFile(atPath path: String) throws(FileIOFailure) -> [UInt8]? {
        let descriptor = Self.retrying { open(path, O_RDONLY | O_CLOEXEC) }
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw FileIOFailure(errno: errno, operation: "open")
        }
        defer { _ = Glibc.close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileIOFailure(errno: errno, operation: "fstat") }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(4096, bytes.count))) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileIOFailure(errno: errno, operation: "read")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(bytes.count - filled)
        return bytes
    }

    /// `open(O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)`.
    public func createFile(atPath path: String) throws(FileIOFailure) -> Int32 {
        let descriptor = Self.retrying { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600) }
        guard descriptor >= 0 else { throw FileIOFailure(errno: errno, operation: "open") }
        return descriptor
    }

    /// One `write(2)`, retried on `EINTR`.
    public func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(FileIOFailure) -> Int {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return 0 }
        while true {
            let count = Glibc.write(descriptor, base, bytes.count)
            if count >= 0 { return count }
            if errno != EINTR { throw FileIOFailure(errno: errno, operation: "write") }
        }
    }

    /// `fsync(2)`, retried on `EINTR`.
    public func synchronize(_ descriptor: Int32) throws(FileIOFailure) {
        while fsync(descriptor) != 0 {
            if errno != EINTR { throw FileIOFailure(errno: errno, operation: "fsync") }
        }
    }

    /// `close(2)` (never retried: on Linux the descriptor is gone even on `EINTR`).
    public func close(_ descriptor: Int32) throws(FileIOFailure) {
        // close(2) must not be retried on EINTR on Linux: the descriptor is already released.
        if Glibc.close(descriptor) != 0, errno != EINTR { throw FileIOFailure(errno: errno, operation: "close") }
    }

    /// `rename(2)`.
    public func rename(_ source: String, to destination: String) throws(FileIOFailure) {
        guard Glibc.rename(source, destination) == 0 else { throw FileIOFailure(errno: errno, operation: "rename") }
    }

    /// `unlink(2)`; `ENOENT` is success.
    public func remove(atPath path: String) throws(FileIOFailure) {
        if unlink(path) != 0, errno != ENOENT { throw FileIOFailure(errno: errno, operation: "unlink") }
    }

    /// `open(O_RDONLY | O_DIRECTORY | O_CLOEXEC)`.
    public func openDirectory(atPath path: String) throws(FileIOFailure) -> Int32 {
        let descriptor = Self.retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw FileIOFailure(errno: errno, operation: "open directory") }
        return descriptor
    }

    private static func retrying(_ call: () -> Int32) -> Int32 {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
