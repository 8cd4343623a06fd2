import FileTailing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads bytes of files found on disk, for ``ResumePlanner`` to verify fingerprints and offset markers.
public protocol FileContentReading {
    /// Reads up to `length` bytes at `offset` of the file at `path` and returns how many were read and
    /// their ``ContentHash``. Must fail if the file at `path` is no longer the one with `identity`'s
    /// device and inode (it was replaced since it was observed).
    func hashBytes(path: String, identity: FileIdentity, offset: Int64, length: Int) throws(FileIOFailure) -> (count: Int, hash: UInt64)
}

/// ``FileContentReading`` with `open`, `fstat` and `pread`.
public struct PosixFileContentReader: FileContentReading, Sendable {
    /// Makes the reader.
    public init() {}

    /// Opens `path`, checks its device and inode against `identity`, and hashes the bytes read with `pread`.
    public func hashBytes(path: String, identity: FileIdentity, offset: Int64, length: Int) throws(FileIOFailure) -> (count: Int, hash: UInt64) {
        var descriptor: Int32
        repeat { descriptor = open(path, O_RDONLY | O_CLOEXEC) } while descriptor < 0 && errno == EINTR
        guard descriptor >= 0 else { throw FileIOFailure(errno: errno, operation: "open") }
        defer { _ = close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileIOFailure(errno: errno, operation: "fstat") }
        guard UInt64(info.st_dev) == identity.device, UInt64(info.st_ino) == identity.inode else {
            throw FileIOFailure(errno: ESTALE, operation: "replaced since observed")
        }
        let bytes = try FileFingerprinting.read(descriptor: descriptor, offset: offset, length: length).get()
        return (bytes.count, ContentHash.of(bytes))
    }
}
