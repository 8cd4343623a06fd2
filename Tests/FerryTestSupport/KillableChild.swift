import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn` whose stdout is read incrementally, for crash tests that
/// kill it at chosen moments. Only this process is ever signalled, by its PID; the destructor kills
/// (SIGKILL) and reaps it if the test did not.
public final class KillableChild {
    /// A failure to start the child.
    public struct Failure: Error, CustomStringConvertible {
        /// What went wrong.
        public var description: String
    }

    /// The child's PID.
    public let pid: pid_t
    private var outputDescriptor: Int32
    private var reaped = false
    /// Everything the child wrote to stdout so far.
    public private(set) var output: [UInt8] = []

    /// Starts `executable` with `arguments`; its stdout goes to a pipe read by this object, its stderr is
    /// inherited.
    public init(executable: String, arguments: [String]) throws {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        // Close-on-exec, so that children other tests spawn meanwhile do not inherit the write end.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let result = argv.withUnsafeBufferPointer { buffer in
            posix_spawn(&child, executable, &actions, nil, UnsafeMutablePointer(mutating: buffer.baseAddress!), environ)
        }
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            throw Failure(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
        outputDescriptor = fds[0]
    }

    deinit {
        if !reaped {
            _ = Glibc.kill(pid, SIGKILL)
            var status: Int32 = 0
            _ = waitpid(pid, &status, 0)
        }
        if outputDescriptor >= 0 { close(outputDescriptor) }
    }

    /// Stdout so far, as text.
    public var text: String { String(decoding: output, as: UTF8.self) }

    /// Reads what is available within `timeoutMilliseconds`; returns false once stdout reached its end.
    @discardableResult
    public func readAvailable(timeoutMilliseconds: Int32) -> Bool {
        guard outputDescriptor >= 0 else { return false }
        var poller = pollfd(fd: outputDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        guard ready > 0 else { return true }
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { read(outputDescriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            output.append(contentsOf: buffer[0..<count])
            return true
        }
        if count < 0, errno == EINTR || errno == EAGAIN { return true }
        close(outputDescriptor)
        outputDescriptor = -1
        return false
    }

    /// Reads until stdout contains `marker` or `timeout` passes; returns whether it was seen.
    public func waitForOutput(containing marker: String, timeout: Duration) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !text.contains(marker) {
            guard ContinuousClock.now < deadline, readAvailable(timeoutMilliseconds: 20) else { return text.contains(marker) }
        }
        return true
    }

    /// Sends `signal` to the child (and only to it).
    public func kill(_ signal: Int32) {
        guard !reaped else { return }
        _ = Glibc.kill(pid, signal)
    }

    /// Reads stdout to its end and reaps the child; returns the raw `waitpid` status.
    @discardableResult
    public func wait() -> Int32 {
        while readAvailable(timeoutMilliseconds: 1000) {}
        var status: Int32 = 0
        if !reaped {
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            reaped = true
        }
        return status
    }
}
