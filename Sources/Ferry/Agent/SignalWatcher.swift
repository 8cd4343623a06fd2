#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Turns SIGTERM, SIGINT and SIGHUP into a call on an ordinary thread (the self-pipe trick: the handler only
/// writes a byte to a pipe, which works whichever thread the kernel picks for the signal).
///
/// SIGHUP is caught too: operators and logrotate `postrotate` scripts send it, and its default action ends
/// the process without a final checkpoint, which systemd counts as a clean exit (so `Restart=on-failure`
/// would leave the agent down).
final class SignalWatcher: Sendable {
    private static let writeEnd = Atomic<Int32>(-1)
    private let readEnd: Int32
    private let thread: Mutex<BackgroundThread?> = Mutex(nil)
    /// The signals watched.
    static let signals: [Int32] = [SIGTERM, SIGINT, SIGHUP]

    /// Installs the handlers; `onSignal` runs on the watcher's thread with the signal number, once per
    /// signal received.
    init(onSignal: @escaping @Sendable (Int32) -> Void) throws(AgentError) {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { throw AgentError(.startup, "cannot create the signal pipe (errno \(errno))") }
        readEnd = ends[0]
        _ = fcntl(ends[1], F_SETFL, O_NONBLOCK)
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        Self.writeEnd.store(ends[1], ordering: .releasing)
        for number in Self.signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                var byte = UInt8(truncatingIfNeeded: signal)
                _ = write(SignalWatcher.writeEnd.load(ordering: .acquiring), &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            sigaction(number, &action, nil)
        }
        let fd = readEnd
        let started = try BackgroundThread {
            var byte: UInt8 = 0
            while true {
                let count = read(fd, &byte, 1)
                if count < 0 && errno == EINTR { continue }
                guard count == 1 else { return }
                if byte == 0 { return }  // our own stop
                onSignal(Int32(byte))
            }
        }
        thread.withLock { $0 = started }
    }

    /// Ends the watcher's thread (signals go back to their default action).
    func stop() {
        for number in Self.signals { signal(number, SIG_DFL) }
        var zero: UInt8 = 0
        _ = write(Self.writeEnd.load(ordering: .acquiring), &zero, 1)
        thread.withLock { $0?.join() }
    }
}
