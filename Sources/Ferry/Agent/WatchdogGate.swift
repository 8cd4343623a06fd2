/// Whether `ferry run` may tell systemd's watchdog it is well (`WATCHDOG=1`): while the pipeline makes
/// progress (an acknowledgement, or a record given up, since the last look) or has nothing pending. Data
/// pending with nothing acknowledged for half the watchdog period stops the pings, so that systemd restarts
/// a wedged agent within the period. Pure: the caller passes `now:` and what it reads of the counters.
struct WatchdogGate: Equatable {
    /// How long without progress, with data pending, before the pings stop: half of `WATCHDOG_USEC`, so
    /// that the last ping (sent every quarter period) is less than a period before systemd acts.
    let stallNs: UInt64
    private var lastProgressAt: UInt64
    private var lastFinished: Int?

    /// A gate for systemd's watchdog period (`WATCHDOG_USEC`, in nanoseconds), opened at `now`.
    init(watchdogPeriodNs: UInt64, now: UInt64) {
        self.init(stallNs: watchdogPeriodNs / 2, now: now)
    }

    /// A gate that closes after `stallNs` without progress with data pending (`/health` uses one with
    /// `http.health_stall_seconds`).
    init(stallNs: UInt64, now: UInt64) {
        self.stallNs = stallNs
        lastProgressAt = now
    }

    /// How long the pipeline has gone without progress with data pending, as of the last look.
    func stalledFor(now: UInt64) -> UInt64 { now &- lastProgressAt }

    /// `pendingBytes`: bytes held by the producer (batched or awaiting acknowledgement); `finished`: records
    /// acknowledged or given up so far. True when a ping is due.
    mutating func shouldPing(now: UInt64, pendingBytes: Int, finished: Int) -> Bool {
        if pendingBytes == 0 || finished != lastFinished {
            lastProgressAt = now
            lastFinished = finished
        }
        return now &- lastProgressAt < stallNs
    }
}
