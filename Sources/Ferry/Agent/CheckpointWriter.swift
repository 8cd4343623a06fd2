import Checkpointing
import Logging
import NIOConcurrencyHelpers

/// The thread that writes checkpoints: woken when the ledger moves, it follows ``CheckpointSchedule``
/// (at most every `checkpoint_interval_ms`, never when nothing changed, retries with backoff, a last write
/// on stop). fsync happens here, never on the tailer's or the producer's thread.
final class CheckpointWriter: @unchecked Sendable {
    private let store: CheckpointStore
    private let pipeline: Pipeline
    private let forgetAfter: Duration
    private let logger: Logger
    /// 1 when there is news (a change or a stop request) for the thread.
    private let signal = ConditionLock(value: 0)
    private let flags = NIOLockedValueBox((changed: false, stop: false))
    private var schedule: CheckpointSchedule
    private var thread: BackgroundThread?
    /// The store's counters after the last write, and when a write last failed: for the metrics and
    /// `/health`, from any thread.
    private let published = NIOLockedValueBox(CheckpointWriterStatus())

    /// The store's counters after the last write, and when a write last failed.
    var status: CheckpointWriterStatus { published.withLockedValue { $0 } }

    init(store: CheckpointStore, pipeline: Pipeline, interval: Duration, forgetAfter: Duration, logger: Logger) {
        self.store = store
        self.pipeline = pipeline
        self.forgetAfter = forgetAfter
        self.logger = logger
        schedule = CheckpointSchedule(interval: interval)
    }

    func start() throws(AgentError) {
        thread = try BackgroundThread { [self] in run() }
    }

    /// Something the checkpoint shows changed.
    func notify() {
        flags.withLockedValue { $0.changed = true }
        signal.lock()
        signal.unlock(withValue: 1)
    }

    /// Writes a last checkpoint if anything changed, and ends the thread.
    func stop() {
        flags.withLockedValue { $0.stop = true }
        signal.lock()
        signal.unlock(withValue: 1)
        thread?.join()
        thread = nil
    }

    private func run() {
        while true {
            let timeout: Double
            if let wakeAt = schedule.deadline {
                let remaining = ContinuousClock.now.duration(to: wakeAt)
                timeout = max(0, remaining.seconds)
            } else {
                timeout = 3600
            }
            if signal.lock(whenValue: 1, timeoutSeconds: timeout) {
                signal.unlock(withValue: 0)
            }
            let (changed, stop) = flags.withLockedValue { flags in
                defer { flags.changed = false }
                return (flags.changed, flags.stop)
            }
            let now = ContinuousClock.now
            var action: CheckpointSchedule.Action = .none
            if changed { action = schedule.changed(at: now) }
            if case .none = action, let deadline = schedule.deadline, now >= deadline {
                action = schedule.deadlineReached(at: now)
            }
            while case .writeNow = action { action = write() }
            if stop {
                // The last write ignores the interval; one retry if it fails.
                for _ in 0..<2 {
                    guard case .writeNow = schedule.shutdown(at: ContinuousClock.now) else { break }
                    write()
                }
                return
            }
        }
    }

    @discardableResult
    private func write() -> CheckpointSchedule.Action {
        let entries = pipeline.checkpointEntries(now: .now(), forgetAfter: forgetAfter)
        do {
            _ = try store.commit(entries)
            let counters = store.counters
            published.withLockedValue { $0.counters = counters }
            return schedule.writeSucceeded(at: ContinuousClock.now)
        } catch {
            let counters = store.counters
            published.withLockedValue {
                $0.counters = counters
                $0.lastFailure = ContinuousClock.now
                $0.lastError = "\(error)"
            }
            logger.error(
                "cannot write the checkpoint; the previous one stays in place, retrying",
                metadata: ["state_dir": "\(store.directory)", "error": "\(error)"])
            return schedule.writeFailed(at: ContinuousClock.now)
        }
    }
}

/// What the checkpoint writer shows other threads.
struct CheckpointWriterStatus: Sendable {
    /// The store's counters after the last write (or failure).
    var counters = CheckpointCounters()
    /// When a write last failed, or nil.
    var lastFailure: ContinuousClock.Instant? = nil
    /// Why it failed.
    var lastError: String? = nil
    /// Whether the last write failed (the previous checkpoint stays in place; retried with backoff).
    var failing: Bool { counters.consecutiveWriteFailures > 0 }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
