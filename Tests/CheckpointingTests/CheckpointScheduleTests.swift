import Checkpointing
import Testing

/// Scripts of "event -> expected action" for the write schedule. No clock, no sleeps.
@Suite("Checkpoint schedule")
struct CheckpointScheduleTests {
    let t0 = ContinuousClock.now

    func at(_ milliseconds: Int) -> ContinuousClock.Instant { t0 + .milliseconds(milliseconds) }

    @Test("never writes when nothing changed")
    func idle() {
        var schedule = CheckpointSchedule(interval: .milliseconds(1000))
        #expect(schedule.deadlineReached(at: at(5000)) == .none)
        #expect(schedule.shutdown(at: at(6000)) == .none)
    }

    @Test("the first change writes at once; later changes wait for the interval and coalesce")
    func interval() {
        var schedule = CheckpointSchedule(interval: .milliseconds(1000))
        #expect(schedule.changed(at: at(0)) == .writeNow)
        #expect(schedule.changed(at: at(10)) == .none)          // during the write
        #expect(schedule.writeSucceeded(at: at(20)) == .wakeAt(at(1000)))
        #expect(schedule.changed(at: at(30)) == .none)          // already scheduled
        #expect(schedule.deadlineReached(at: at(999)) == .wakeAt(at(1000)))
        #expect(schedule.deadlineReached(at: at(1000)) == .writeNow)
        #expect(schedule.writeSucceeded(at: at(1010)) == .none)
        #expect(!schedule.isDirty)
        #expect(schedule.changed(at: at(1500)) == .wakeAt(at(2000)))
        #expect(schedule.deadlineReached(at: at(2000)) == .writeNow)
        #expect(schedule.writeSucceeded(at: at(2001)) == .none)
        #expect(schedule.changed(at: at(9000)) == .writeNow)    // long after: at once
    }

    @Test("a write slower than the interval is followed at once by the next if needed")
    func slowWrite() {
        var schedule = CheckpointSchedule(interval: .milliseconds(100))
        #expect(schedule.changed(at: at(0)) == .writeNow)
        #expect(schedule.changed(at: at(50)) == .none)
        #expect(schedule.writeSucceeded(at: at(300)) == .writeNow)
    }

    @Test("failures are retried with a doubling back-off up to the cap, then the interval again")
    func retries() {
        var schedule = CheckpointSchedule(interval: .milliseconds(1000), maximumRetryDelay: .seconds(5))
        #expect(schedule.changed(at: at(0)) == .writeNow)
        #expect(schedule.writeFailed(at: at(10)) == .wakeAt(at(1010)))
        #expect(schedule.deadlineReached(at: at(1010)) == .writeNow)
        #expect(schedule.writeFailed(at: at(1020)) == .wakeAt(at(3020)))
        #expect(schedule.deadlineReached(at: at(3020)) == .writeNow)
        #expect(schedule.writeFailed(at: at(3030)) == .wakeAt(at(7030)))
        #expect(schedule.deadlineReached(at: at(7030)) == .writeNow)
        #expect(schedule.writeFailed(at: at(7040)) == .wakeAt(at(12040)))
        #expect(schedule.consecutiveFailures == 4)
        #expect(schedule.deadlineReached(at: at(12040)) == .writeNow)
        #expect(schedule.writeSucceeded(at: at(12050)) == .none)
        #expect(schedule.consecutiveFailures == 0)
    }

    @Test("shutdown writes at once when something is pending, and not otherwise")
    func shutdown() {
        var schedule = CheckpointSchedule(interval: .milliseconds(1000))
        #expect(schedule.changed(at: at(0)) == .writeNow)
        #expect(schedule.writeSucceeded(at: at(5)) == .none)
        #expect(schedule.changed(at: at(10)) == .wakeAt(at(1000)))
        #expect(schedule.shutdown(at: at(20)) == .writeNow)
        #expect(schedule.shutdown(at: at(21)) == .none)          // write in progress
        #expect(schedule.writeSucceeded(at: at(30)) == .none)
        #expect(schedule.shutdown(at: at(40)) == .none)
        #expect(schedule.deadlineReached(at: at(1000)) == .none) // stale wake-up after shutdown
    }
}

@Suite("Checkpoint status")
struct CheckpointFileStatusTests {
    @Test("lag, state and acknowledgement age for each situation of a file")
    func states() {
        let now = WallClockTime(millisecondsSinceEpoch: 10_000)
        var entry = CheckpointSamples.entries(count: 1, seed: 1)[0]
        entry.committedOffset = 1000
        entry.knownSize = 1500
        entry.goneSince = nil
        entry.lastAcknowledgedAt = WallClockTime(millisecondsSinceEpoch: 7_000)
        let behind = CheckpointFileStatus(entry: entry, currentSize: 1800, now: now)
        #expect(behind.state == .behind)
        #expect(behind.lag == 800)
        #expect(behind.lastAcknowledgementAge == .seconds(3))
        #expect(CheckpointFileStatus(entry: entry, currentSize: 1000, now: now).state == .delivered)
        #expect(CheckpointFileStatus(entry: entry, currentSize: 10, now: now).state == .truncated)
        let missing = CheckpointFileStatus(entry: entry, currentSize: nil, now: now)
        #expect(missing.state == .missing)
        #expect(missing.lag == 500)
        entry.goneSince = now
        #expect(CheckpointFileStatus(entry: entry, currentSize: nil, now: now).state == .gone)
    }
}
