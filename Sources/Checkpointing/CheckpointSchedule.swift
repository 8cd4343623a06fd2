/// Decides when to write the checkpoint: a pure state machine fed with "changed" events, timer expiries
/// and write outcomes, returning what to do. Time comes in as a parameter (a monotonic instant).
///
/// Rules: never write when nothing changed; at most one write start per ``interval``; a failed write is
/// retried after a back-off (``interval`` doubling up to a cap); on shutdown, write at once if anything
/// changed since the last successful write.
///
/// The agent runs the actions: ``Action/writeNow`` -> build the snapshot, call
/// ``CheckpointStore/commit(_:at:)``, then report ``writeSucceeded(at:)`` or ``writeFailed(at:)``;
/// ``Action/wakeAt(_:)`` -> call ``deadlineReached(at:)`` at (or after) that instant.
public struct CheckpointSchedule: Sendable {
    /// What the agent must do next.
    public enum Action: Hashable, Sendable {
        /// Nothing (a wake-up may already be pending from an earlier action).
        case none
        /// Write the checkpoint now; report the outcome.
        case writeNow
        /// Call ``CheckpointSchedule/deadlineReached(at:)`` at this instant.
        case wakeAt(ContinuousClock.Instant)
    }

    /// The least time between the starts of two writes.
    public let interval: Duration
    /// The longest back-off between retries of a failing write (never less than ``interval``).
    public let maximumRetryDelay: Duration
    /// Whether something changed that no successful write has covered yet.
    public private(set) var isDirty = false
    /// Whether a write was started and its outcome not reported yet.
    public private(set) var isWriting = false
    /// Failed writes since the last success.
    public private(set) var consecutiveFailures = 0
    /// The pending wake-up, if any.
    public private(set) var deadline: ContinuousClock.Instant?
    private var lastWriteStart: ContinuousClock.Instant?

    /// A schedule with nothing to write yet.
    public init(interval: Duration, maximumRetryDelay: Duration = .seconds(5)) {
        self.interval = max(interval, .zero)
        self.maximumRetryDelay = max(maximumRetryDelay, self.interval)
    }

    /// Something that the checkpoint holds changed (an offset moved, a file appeared or went away).
    public mutating func changed(at now: ContinuousClock.Instant) -> Action {
        isDirty = true
        if isWriting || deadline != nil { return .none }
        if let last = lastWriteStart, now < last + interval {
            deadline = last + interval
            return .wakeAt(last + interval)
        }
        return startWrite(at: now)
    }

    /// The pending wake-up time arrived.
    public mutating func deadlineReached(at now: ContinuousClock.Instant) -> Action {
        guard let pending = deadline else { return .none }
        guard now >= pending else { return .wakeAt(pending) }
        deadline = nil
        guard isDirty, !isWriting else { return .none }
        return startWrite(at: now)
    }

    /// The write started by the last ``Action/writeNow`` succeeded.
    public mutating func writeSucceeded(at now: ContinuousClock.Instant) -> Action {
        isWriting = false
        consecutiveFailures = 0
        guard isDirty else { return .none }
        let next = (lastWriteStart ?? now) + interval
        if now >= next { return startWrite(at: now) }
        deadline = next
        return .wakeAt(next)
    }

    /// The write started by the last ``Action/writeNow`` failed: retry after a back-off.
    public mutating func writeFailed(at now: ContinuousClock.Instant) -> Action {
        isWriting = false
        isDirty = true
        consecutiveFailures += 1
        var delay = max(interval, .milliseconds(1))
        for _ in 1..<min(consecutiveFailures, 32) where delay < maximumRetryDelay { delay *= 2 }
        let retry = now + min(delay, maximumRetryDelay)
        deadline = retry
        return .wakeAt(retry)
    }

    /// The agent is stopping: write now if anything is not yet durable, regardless of the interval.
    /// (If a write is in progress, report its outcome first, then call this again.)
    public mutating func shutdown(at now: ContinuousClock.Instant) -> Action {
        guard isDirty, !isWriting else { return .none }
        deadline = nil
        return startWrite(at: now)
    }

    private mutating func startWrite(at now: ContinuousClock.Instant) -> Action {
        isDirty = false
        isWriting = true
        lastWriteStart = now
        return .writeNow
    }
}
