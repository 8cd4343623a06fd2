import FileTailing

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An error of the Checkpointing module: what went wrong (``code``), a human message, where it happened
/// (``path`` and ``operation``), and the `errno` of the failed system call when there was one.
public struct CheckpointError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of error this is. Raw values are stable and used as log and metric labels.
    public enum Code: String, Hashable, Sendable {
        /// The state directory could not be created, is not a directory, or cannot be opened.
        case stateDirectoryUnusable = "state_directory_unusable"
        /// Another process holds the state directory's lock.
        case stateDirectoryLocked = "state_directory_locked"
        /// A write failed because the filesystem is full (`ENOSPC`, `EDQUOT`).
        case noSpace = "no_space"
        /// A write failed because the filesystem is read-only (`EROFS`).
        case readOnlyFileSystem = "read_only_file_system"
        /// A system call failed with `EIO`.
        case ioFailure = "io_failure"
        /// Any other failed system call while writing a checkpoint.
        case writeFailed = "write_failed"
        /// A checkpoint file could not be read.
        case readFailed = "read_failed"
        /// A checkpoint file is torn, truncated, zero-filled or fails its checksum.
        case corrupt = "corrupt"
        /// A checkpoint file was written by a newer, incompatible format version.
        case unsupportedVersion = "unsupported_version"
        /// A ledger segment does not start where the previous one ended, or is empty.
        case segmentNotContiguous = "segment_not_contiguous"
        /// An offset marker is longer than ``OffsetMarker/maximumLength`` or reaches before offset 0.
        case invalidMarker = "invalid_marker"
        /// A ledger operation named a file that is not tracked.
        case unknownFile = "unknown_file"
        /// The store was closed.
        case closed = "closed"
        /// A commit was attempted before ``CheckpointStore/load()``.
        case notLoaded = "not_loaded"
    }

    /// What kind of error this is.
    public var code: Code
    /// A human-readable description.
    public var message: String
    /// The file or directory concerned, when there is one.
    public var path: String?
    /// The step that failed (`write`, `fsync`, `rename`, `decode` ...), when known.
    public var operation: String?
    /// The `errno` of a failed system call, when there was one.
    public var errno: Int32?
    /// For decoding errors: the byte offset in the checkpoint file where decoding failed.
    public var byteOffset: Int?

    /// Makes an error.
    public init(
        code: Code, message: String, path: String? = nil, operation: String? = nil,
        errno: Int32? = nil, byteOffset: Int? = nil
    ) {
        self.code = code
        self.message = message
        self.path = path
        self.operation = operation
        self.errno = errno
        self.byteOffset = byteOffset
    }

    /// Maps a failed system call during a write to an error with the matching code
    /// (`ENOSPC`/`EDQUOT` -> ``Code/noSpace``, `EROFS` -> ``Code/readOnlyFileSystem``, `EIO` -> ``Code/ioFailure``).
    public static func writing(_ failure: FileIOFailure, path: String) -> CheckpointError {
        let code: Code
        switch failure.errno {
        case ENOSPC, EDQUOT: code = .noSpace
        case EROFS: code = .readOnlyFileSystem
        case EIO: code = .ioFailure
        default: code = .writeFailed
        }
        return CheckpointError(
            code: code, message: "checkpoint write failed: \(failure)", path: path,
            operation: failure.operation, errno: failure.errno
        )
    }

    /// The code, message and location, for logs.
    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let path { text += " [path=\(path)]" }
        if let operation { text += " [operation=\(operation)]" }
        if let byteOffset { text += " [byte=\(byteOffset)]" }
        return text
    }
}
