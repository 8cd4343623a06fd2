import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Exclusive ownership of a state directory: the directory is created with mode 0700 and a `lock` file
/// inside it is held with `flock(LOCK_EX)` for as long as this object lives (or until ``release()``).
///
/// The lock file holds the owner's PID, so a second agent fails with an error naming the first
/// (``CheckpointError/Code/stateDirectoryLocked``). The kernel drops the lock when the process dies, even
/// on SIGKILL, so a crash never leaves a stale lock behind.
public final class StateDirectoryLock {
    /// The name of the lock file inside the state directory.
    public static let fileName = "lock"

    /// The state directory.
    public let directory: String
    private var descriptor: Int32

    private init(directory: String, descriptor: Int32) {
        self.directory = directory
        self.descriptor = descriptor
    }

    deinit { release() }

    /// Whether the lock is still held.
    public var isHeld: Bool { descriptor >= 0 }

    /// Creates `directory` if needed (parents 0755, the directory itself 0700; an existing directory open
    /// to group or others is tightened to 0700), then takes its lock.
    public static func acquire(directory: String, logger: Logger) throws(CheckpointError) -> StateDirectoryLock {
        try prepareDirectory(directory, logger: logger)
        let path = directory + "/" + fileName
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw CheckpointError(
                code: .stateDirectoryUnusable, message: "cannot open the state directory's lock file: \(describe(errno))",
                path: path, operation: "open", errno: errno
            )
        }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            let failure = errno
            if failure == EINTR { continue }
            let owner = failure == EWOULDBLOCK ? ownerDescription(descriptor: descriptor) : nil
            _ = close(descriptor)
            if let owner {
                throw CheckpointError(
                    code: .stateDirectoryLocked,
                    message: "state directory \(directory) is in use by another Ferry process (\(owner)); "
                        + "each agent needs its own state directory",
                    path: path, operation: "flock", errno: failure
                )
            }
            throw CheckpointError(
                code: .stateDirectoryUnusable, message: "cannot lock the state directory: \(describe(failure))",
                path: path, operation: "flock", errno: failure
            )
        }
        let text = Array("\(getpid())\n".utf8)
        if ftruncate(descriptor, 0) != 0 || text.withUnsafeBytes({ pwrite(descriptor, $0.baseAddress, $0.count, 0) }) != text.count {
            // The lock is held; only the PID hint for a second agent is missing.
            logger.warning(
                "cannot record the PID in the state directory lock file",
                metadata: ["file.path": "\(path)", "errno": "\(errno)"]
            )
        }
        return StateDirectoryLock(directory: directory, descriptor: descriptor)
    }

    /// Releases the lock (idempotent). The lock file stays; its PID is stale from then on.
    public func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        _ = close(descriptor)
        descriptor = -1
    }

    /// Creates the directory (parents 0755, itself 0700) or checks and tightens an existing one.
    static func prepareDirectory(_ directory: String, logger: Logger) throws(CheckpointError) {
        var components: [Substring] = directory.split(separator: "/", omittingEmptySubsequences: true)
        guard !components.isEmpty else {
            throw CheckpointError(code: .stateDirectoryUnusable, message: "the state directory cannot be /", path: directory)
        }
        let last = components.removeLast()
        var prefix = directory.hasPrefix("/") ? "" : "."
        for component in components {
            prefix += "/" + component
            if mkdir(prefix, 0o755) != 0, errno != EEXIST {
                throw CheckpointError(
                    code: .stateDirectoryUnusable, message: "cannot create \(prefix): \(describe(errno))",
                    path: prefix, operation: "mkdir", errno: errno
                )
            }
        }
        let path = prefix + "/" + last
        if mkdir(path, 0o700) == 0 {
            logger.info("state directory created", metadata: ["file.path": "\(path)"])
            return
        }
        guard errno == EEXIST else {
            throw CheckpointError(
                code: .stateDirectoryUnusable, message: "cannot create the state directory: \(describe(errno))",
                path: path, operation: "mkdir", errno: errno
            )
        }
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw CheckpointError(
                code: .stateDirectoryUnusable, message: "the state directory path exists and is not a directory",
                path: path, operation: "stat"
            )
        }
        if info.st_mode & 0o077 != 0 {
            if chmod(path, 0o700) == 0 {
                logger.notice(
                    "state directory was open to other users; mode set to 0700",
                    metadata: ["file.path": "\(path)", "mode.previous": "\(String(info.st_mode & 0o777, radix: 8))"]
                )
            } else {
                logger.warning(
                    "state directory is open to other users and its mode cannot be changed",
                    metadata: ["file.path": "\(path)", "errno": "\(errno)"]
                )
            }
        }
    }

    /// "pid 1234, ferry" from the lock file and /proc, or "pid unknown".
    private static func ownerDescription(descriptor: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        let text = count > 0 ? String(decoding: buffer[0..<count], as: UTF8.self) : ""
        guard let pid = Int32(text.filter { $0.isNumber }), pid > 0 else { return "pid unknown" }
        var name = [UInt8](repeating: 0, count: 64)
        let commDescriptor = open("/proc/\(pid)/comm", O_RDONLY | O_CLOEXEC)
        guard commDescriptor >= 0 else { return "pid \(pid)" }
        defer { _ = close(commDescriptor) }
        let nameCount = name.withUnsafeMutableBytes { read(commDescriptor, $0.baseAddress, $0.count) }
        guard nameCount > 0 else { return "pid \(pid)" }
        let command = String(decoding: name[0..<nameCount], as: UTF8.self).trimmingSuffix(while: \.isNewline)
        return "pid \(pid), \(command)"
    }

    /// "<strerror> (errno N)".
    static func describe(_ code: Int32) -> String {
        "\(String(cString: strerror(code))) (errno \(code))"
    }
}

extension String {
    fileprivate func trimmingSuffix(while predicate: (Character) -> Bool) -> String {
        var result = self
        while let last = result.last, predicate(last) { result.removeLast() }
        return result
    }
}
