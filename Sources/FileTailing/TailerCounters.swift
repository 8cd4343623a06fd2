/// A snapshot of the tailer's counters, readable from any thread (``Tailer/counters``). Totals since start
/// unless named as a current value.
public struct TailerCounters: Hashable, Sendable {
    /// Bytes delivered as lines (terminators included).
    public var bytesRead: UInt64 = 0
    /// Lines delivered (each piece of a split line counts once).
    public var lines: UInt64 = 0
    /// Times the consumer deferred a file's lines (its destination unavailable): read again later.
    public var deferrals: UInt64 = 0
    /// Lines longer than `max_line_bytes` that were split.
    public var longLinesSplit: UInt64 = 0
    /// Lines longer than `max_line_bytes` that were truncated.
    public var longLinesTruncated: UInt64 = 0
    /// Partial last lines delivered without terminator (timeout or release).
    public var unterminatedLines: UInt64 = 0
    /// Truncations detected (copytruncate, rewrite in place, start offset past the end).
    public var truncations: UInt64 = 0
    /// Bytes seen but lost to truncations (see ``TailEvent/Kind/truncated(readOffset:unreadBytes:newSize:)``).
    public var truncatedUnreadBytes: UInt64 = 0
    /// Renames within the patterns plus files moved out of them or replaced at their path.
    public var rotations: UInt64 = 0
    /// Files deleted while tracked.
    public var deletions: UInt64 = 0
    /// Files released with bytes never delivered (their sum is ``releasedUnreadBytes``).
    public var releasedWithUnreadBytes: UInt64 = 0
    /// Bytes of released files that were never delivered.
    public var releasedUnreadBytes: UInt64 = 0
    /// Files discovered (opened for the first time).
    public var filesDiscovered: UInt64 = 0
    /// Current: descriptors open on tailed files.
    public var filesOpen: Int = 0
    /// Current: files tracked (open, closed while idle, or waiting for a descriptor).
    public var filesWatched: Int = 0
    /// Current: directories watched with inotify.
    public var directoriesWatched: Int = 0
    /// Failed reads (each is retried).
    public var readErrors: UInt64 = 0
    /// Paths that could not be opened for lack of permission (each report; retried).
    public var permissionErrors: UInt64 = 0
    /// Symbolic link loops reported.
    public var symlinkLoops: UInt64 = 0
    /// Rescans forced by inotify queue overflow.
    public var overflowRescans: UInt64 = 0
    /// Periodic sweeps done.
    public var sweeps: UInt64 = 0
    /// Current: whether the tailer polls instead of relying on inotify.
    public var polling: Bool = false
    /// Current: whether the consumer paused reading.
    public var paused: Bool = false
    /// Current: whether the initial scan has finished.
    public var initialScanDone: Bool = false

    /// All zero.
    public init() {}
}
