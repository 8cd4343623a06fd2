#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fingerprint of a file's first bytes: how many bytes were hashed and their ``ContentHash``.
///
/// It grows with the file: a 10-byte file has a 10-byte fingerprint, recomputed as the file grows until
/// ``maximumLength`` bytes. A stored fingerprint still verifies after the file grew, by hashing the same
/// number of leading bytes again.
public struct FileFingerprint: Hashable, Sendable, CustomStringConvertible {
    /// The number of leading bytes a fingerprint covers at most.
    public static let maximumLength = 1024

    /// Bytes hashed (0 for an empty file).
    public var length: Int
    /// ``ContentHash`` of those bytes.
    public var hash: UInt64

    /// Makes a fingerprint.
    public init(length: Int, hash: UInt64) {
        self.length = length
        self.hash = hash
    }

    /// The fingerprint of an empty file.
    public static let empty = FileFingerprint(length: 0, hash: ContentHash.empty)

    /// Whether this fingerprint covers all the bytes it ever will.
    public var isComplete: Bool { length >= Self.maximumLength }

    /// The length and the hash in hex (`10B:00ab…`).
    public var description: String {
        let hex = String(hash, radix: 16)
        return "\(length)B:\(String(repeating: "0", count: 16 - hex.count))\(hex)"
    }
}

/// Who a file is: the device and inode of the open file, and a fingerprint of its first bytes.
///
/// Device + inode alone are reused by the filesystem once a file is deleted; the fingerprint tells a new file
/// on a reused inode from the old one (unless both start with the same bytes, in which case the offset
/// marker kept with a checkpoint is the next line of defence).
public struct FileIdentity: Hashable, Sendable, CustomStringConvertible {
    /// `st_dev`.
    public var device: UInt64
    /// `st_ino`.
    public var inode: UInt64
    /// The fingerprint of the first bytes.
    public var fingerprint: FileFingerprint

    /// Makes an identity.
    public init(device: UInt64, inode: UInt64, fingerprint: FileFingerprint) {
        self.device = device
        self.inode = inode
        self.fingerprint = fingerprint
    }

    /// Whether `other` can be the same file, grown since: same device and inode, and the shorter
    /// fingerprint is a prefix-consistent match (checked by ``FileFingerprinting/matches(_:descriptor:)``
    /// when bytes are at hand; here only equal lengths can be compared, so unequal lengths compare inodes).
    public func sameInode(as other: FileIdentity) -> Bool {
        device == other.device && inode == other.inode
    }

    /// Device, inode and fingerprint, for logs.
    public var description: String { "dev=\(device) ino=\(inode) fp=\(fingerprint)" }
}

/// Reads fingerprints and offset markers from open files.
public enum FileFingerprinting {
    /// Reads up to `length` bytes at `offset` with `pread`, retrying on EINTR and short reads.
    /// Returns the bytes read (fewer if the file ends first) or the `errno` of a failure.
    public static func read(descriptor: Int32, offset: Int64, length: Int) -> Result<[UInt8], FileIOFailure> {
        guard length > 0 else { return .success([]) }
        var bytes = [UInt8](repeating: 0, count: length)
        var filled = 0
        while filled < length {
            let count = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + filled, length - filled, off_t(offset) + off_t(filled))
            }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(FileIOFailure(errno: errno, operation: "pread"))
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeLast(length - filled)
        return .success(bytes)
    }

    /// Computes the fingerprint of the open file: its first `min(size, maximumLength)` bytes.
    public static func fingerprint(descriptor: Int32) -> Result<FileFingerprint, FileIOFailure> {
        read(descriptor: descriptor, offset: 0, length: FileFingerprint.maximumLength).map { bytes in
            FileFingerprint(length: bytes.count, hash: ContentHash.of(bytes))
        }
    }

    /// Whether the open file still starts with the bytes `fingerprint` was taken from: it has at least
    /// `fingerprint.length` bytes and their hash matches.
    public static func matches(_ fingerprint: FileFingerprint, descriptor: Int32) -> Result<Bool, FileIOFailure> {
        read(descriptor: descriptor, offset: 0, length: fingerprint.length).map { bytes in
            bytes.count == fingerprint.length && ContentHash.of(bytes) == fingerprint.hash
        }
    }

    /// The identity of the open file (fstat + fingerprint).
    public static func identity(descriptor: Int32) -> Result<FileIdentity, FileIOFailure> {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            return .failure(FileIOFailure(errno: errno, operation: "fstat"))
        }
        return fingerprint(descriptor: descriptor).map { fingerprint in
            FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), fingerprint: fingerprint)
        }
    }
}

/// A failed system call on a file: which call, and its `errno`.
public struct FileIOFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `errno` value.
    public var errno: Int32
    /// The system call (`open`, `pread`, `fstat` ...).
    public var operation: String

    /// Makes a failure.
    public init(errno: Int32, operation: String) {
        self.errno = errno
        self.operation = operation
    }

    /// The call, the error and its number, for logs.
    public var description: String {
        "\(operation): \(String(cString: strerror(errno))) (errno \(errno))"
    }
}
