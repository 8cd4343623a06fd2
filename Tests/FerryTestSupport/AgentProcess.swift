import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `ferry run` as a child process, for end-to-end tests: its output goes to a log file, it is stopped with
/// SIGTERM or killed with SIGKILL (only this PID), and its exit status and peak memory are collected (the
/// process's own `VmHWM`, read until it exits; see ``PeakMemory`` for why not `ru_maxrss`).
public final class AgentProcess {
    /// How the process ended.
    public struct Exit: Sendable {
        /// The exit status, or 128 + signal.
        public var status: Int32
        /// Peak resident memory in KiB (`VmHWM` as last read before the process ended).
        public var maxResidentKiB: Int
    }

    public let pid: pid_t
    public let logPath: String
    private var exit: Exit?
    /// The largest `VmHWM` read so far.
    private var peakKiB = 0

    /// Starts `ferry run --config config` (the `ferry` built next to the tests), as an unprivileged user
    /// when the tests run as root (see ``Unprivileged``): the directory holding `config` is handed to that
    /// user, so that the agent can create its state directory there.
    public init(config: String, logPath: String, logLevel: String = "info", environment: [String: String] = [:]) throws {
        self.logPath = logPath
        Unprivileged.handOver((config as NSString).deletingLastPathComponent)
        let (executable, prefix) = Unprivileged.command("ferry", ["run", "--config", config, "--log-level", logLevel])
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let arguments = [executable] + prefix
        let argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { _, new in new }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { envp.forEach { free($0) } }
        var child: pid_t = 0
        let result = argv.withUnsafeBufferPointer { args in
            envp.withUnsafeBufferPointer { env in
                posix_spawn(
                    &child, executable, &actions, nil, UnsafeMutablePointer(mutating: args.baseAddress!),
                    UnsafeMutablePointer(mutating: env.baseAddress!))
            }
        }
        guard result == 0 else {
            throw Subprocess.Failure(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        pid = child
    }

    deinit {
        if exit == nil {
            _ = Glibc.kill(pid, SIGKILL)
            _ = wait(timeout: 10)
        }
    }

    /// Whether the process still runs.
    public var isRunning: Bool {
        guard exit == nil else { return false }
        return reap(blocking: false) == nil
    }

    /// SIGTERM, then waits (SIGKILL after `timeout` s).
    @discardableResult
    public func terminate(timeout: Double = 60) -> Exit {
        samplePeak()
        if exit == nil { _ = Glibc.kill(pid, SIGTERM) }
        if let done = wait(timeout: timeout) { return done }
        _ = Glibc.kill(pid, SIGKILL)
        return wait(timeout: 10) ?? Exit(status: -1, maxResidentKiB: 0)
    }

    /// SIGKILL, and waits.
    @discardableResult
    public func kill() -> Exit {
        samplePeak()
        if exit == nil { _ = Glibc.kill(pid, SIGKILL) }
        return wait(timeout: 10) ?? Exit(status: -1, maxResidentKiB: 0)
    }

    /// Waits up to `timeout` s for the process to end.
    public func wait(timeout: Double) -> Exit? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            samplePeak()
            if let done = reap(blocking: false) { return done }
            usleep(20_000)
        }
        return exit
    }

    private func reap(blocking: Bool) -> Exit? {
        if let exit { return exit }
        var status: Int32 = 0
        let result = waitpid(pid, &status, blocking ? 0 : WNOHANG)
        guard result == pid else { return nil }
        let code: Int32 = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        let done = Exit(status: code, maxResidentKiB: peakKiB)
        exit = done
        return done
    }

    /// Reads `VmHWM` while the process exists (it is gone, or a zombie without memory, after it ends).
    private func samplePeak() {
        if exit == nil, let kib = PeakMemory.highWaterKiB(pid: pid) { peakKiB = max(peakKiB, kib) }
    }

    /// The log so far.
    public var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Resident memory now (KiB), from /proc.
    public var residentKiB: Int? { PeakMemory.residentKiB(pid: pid) }
}
