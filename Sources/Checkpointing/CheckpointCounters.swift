/// Why bytes were lost: they existed in a file but the file changed before they were delivered.
public enum LossReason: String, Hashable, Sendable, CaseIterable {
    /// The file vanished (deleted, or replaced under its path) before its bytes were acknowledged.
    case deletedBeforeDelivery = "deleted_before_delivery"
    /// The file was truncated (or rewritten) before its bytes were acknowledged.
    case truncatedBeforeDelivery = "truncated_before_delivery"
}

/// The checkpoint store's counters, for the metrics endpoint
/// (`ferry_checkpoint_commits_total`, `ferry_checkpoint_write_failures_total`, `ferry_bytes_lost_total{reason}` ...).
public struct CheckpointCounters: Hashable, Sendable {
    /// Checkpoints written and made durable.
    public var commitsWritten: UInt64 = 0
    /// Commits skipped because the entries were identical to the last durable checkpoint.
    public var commitsUnchanged: UInt64 = 0
    /// Commits that failed (each retried later).
    public var writeFailures: UInt64 = 0
    /// Failures since the last successful write (0 when healthy).
    public var consecutiveWriteFailures: UInt64 = 0
    /// The time passed to the last successful commit.
    public var lastSuccessfulWrite: WallClockTime?
    /// Size of the last checkpoint written, in bytes.
    public var lastWriteBytes: Int = 0
    /// How long the last successful write took (encode, write, fsync, rename, directory fsync).
    public var lastWriteDuration: Duration = .zero
    /// Bytes lost, by reason (recorded with ``CheckpointStore/recordLoss(_:reason:)``).
    public var bytesLost: [LossReason: UInt64] = [:]

    /// Zero counters.
    public init() {}
}
