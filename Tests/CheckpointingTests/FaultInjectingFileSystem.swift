import Checkpointing
import FileTailing

#if canImport(Glibc)
import Glibc
#endif

/// The real file system, except that the n-th mutating call (counted once ``arm(failAt:errno:)`` was
/// called) fails with a chosen `errno`; a failing `write` first writes half of its bytes for real, like a
/// disk that fills up mid-write. Optionally every write is cut short to `maximumWrite` bytes.
final class FaultInjectingFileSystem: CheckpointFileSystem {
    private let real = PosixCheckpointFileSystem()
    private var failAt: Int?
    private var failure: Int32 = EIO
    /// Mutating calls made since arming, by name.
    private(set) var operations: [String] = []
    /// The name of the call that was failed, if one was.
    private(set) var failedOperation: String?
    /// When set, each write writes at most this many bytes (a short write).
    var maximumWrite: Int?

    /// Fails the `step`-th mutating call from now (1-based) with `errno`.
    func arm(failAt step: Int?, errno: Int32) {
        failAt = step
        failure = errno
        operations = []
        failedOperation = nil
    }

    private func step(_ name: String) throws(FileIOFailure) {
        operations.append(name)
        if let failAt, operations.count == failAt {
            failedOperation = name
            throw FileIOFailure(errno: failure, operation: name)
        }
    }

    func readFile(atPath path: String) throws(FileIOFailure) -> [UInt8]? { try real.readFile(atPath: path) }

    func createFile(atPath path: String) throws(FileIOFailure) -> Int32 {
        try step("open")
        return try real.createFile(atPath: path)
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(FileIOFailure) -> Int {
        var bytes = bytes
        if let maximumWrite, bytes.count > maximumWrite { bytes = UnsafeRawBufferPointer(rebasing: bytes[0..<maximumWrite]) }
        do throws(FileIOFailure) {
            try step("write")
        } catch {
            _ = try? real.write(descriptor, UnsafeRawBufferPointer(rebasing: bytes[0..<(bytes.count / 2)]))
            throw error
        }
        return try real.write(descriptor, bytes)
    }

    func synchronize(_ descriptor: Int32) throws(FileIOFailure) {
        try step("fsync")
        try real.synchronize(descriptor)
    }

    func close(_ descriptor: Int32) throws(FileIOFailure) {
        do throws(FileIOFailure) {
            try step("close")
        } catch {
            try? real.close(descriptor)
            throw error
        }
        try real.close(descriptor)
    }

    func rename(_ source: String, to destination: String) throws(FileIOFailure) {
        try step("rename")
        try real.rename(source, to: destination)
    }

    func remove(atPath path: String) throws(FileIOFailure) {
        try step("unlink")
        try real.remove(atPath: path)
    }

    func openDirectory(atPath path: String) throws(FileIOFailure) -> Int32 {
        try step("open directory")
        return try real.openDirectory(atPath: path)
    }
}
