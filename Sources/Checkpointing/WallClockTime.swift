#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point in wall-clock time, in whole milliseconds since the Unix epoch: the unit stored in checkpoints
/// (update, acknowledgement and "gone since" times), which must mean the same thing after a restart.
///
/// Intervals between checkpoint writes use a monotonic clock instead (see ``CheckpointSchedule``).
public struct WallClockTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    public var millisecondsSinceEpoch: Int64

    /// Makes a time from milliseconds since the epoch.
    public init(millisecondsSinceEpoch: Int64) {
        self.millisecondsSinceEpoch = millisecondsSinceEpoch
    }

    /// The current time of `CLOCK_REALTIME`.
    public static func now() -> WallClockTime {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return WallClockTime(millisecondsSinceEpoch: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    /// This time moved by `duration` (whole milliseconds, saturating).
    public func advanced(by duration: Duration) -> WallClockTime {
        let (sum, overflow) = millisecondsSinceEpoch.addingReportingOverflow(duration.wholeMilliseconds)
        return WallClockTime(millisecondsSinceEpoch: overflow ? (duration < .zero ? .min : .max) : sum)
    }

    /// The duration from `other` to `self` (negative when `other` is later).
    public func duration(since other: WallClockTime) -> Duration {
        let (difference, overflow) = millisecondsSinceEpoch.subtractingReportingOverflow(other.millisecondsSinceEpoch)
        return .milliseconds(overflow ? (self < other ? Int64.min : Int64.max) : difference)
    }

    /// Earlier is smaller.
    public static func < (lhs: WallClockTime, rhs: WallClockTime) -> Bool {
        lhs.millisecondsSinceEpoch < rhs.millisecondsSinceEpoch
    }

    /// Milliseconds since the epoch, e.g. "1700000000000ms".
    public var description: String { "\(millisecondsSinceEpoch)ms" }
}

extension Duration {
    /// This duration in whole milliseconds, rounded toward zero and clamped to `Int64`.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, overflow2) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow2 ? (seconds < 0 ? .min : .max) : sum
    }
}
