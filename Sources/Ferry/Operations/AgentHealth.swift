import Synchronization

/// What `/health` and `/ready` answer, kept by the agent's monitor loop (once a second) and read by the
/// HTTP endpoint's thread.
final class AgentHealth: Sendable {
    /// One look at the agent.
    struct State: Equatable, Sendable {
        /// A broker has answered Metadata (what systemd's READY=1 waits for).
        var ready = false
        /// Why the agent is not live, or nil when it is: data pending with nothing acknowledged for
        /// `http.health_stall_seconds`, or a checkpoint that cannot be written.
        var problem: String? = nil
    }

    private let state = Mutex(State())

    init() {}

    /// The last look.
    var current: State { state.withLock { $0 } }

    /// Replaces the last look.
    func update(_ new: State) { state.withLock { $0 = new } }

    /// The liveness verdict from what the monitor read: pure, so that tests can feed it.
    static func problem(stalledNs: UInt64, stallLimitNs: UInt64, pendingBytes: Int, checkpoint: CheckpointWriterStatus) -> String? {
        if pendingBytes > 0 && stalledNs >= stallLimitNs {
            return "nothing acknowledged for \(stalledNs / 1_000_000_000) s with \(pendingBytes) bytes pending"
        }
        if checkpoint.failing {
            return "the checkpoint cannot be written (\(checkpoint.counters.consecutiveWriteFailures) failures in a row): \(checkpoint.lastError ?? "unknown error")"
        }
        return nil
    }
}
