/// One line of `ferry status`: a checkpoint entry compared with the file's size now.
public struct CheckpointFileStatus: Hashable, Sendable {
    /// Where the file stands.
    public enum State: String, Hashable, Sendable {
        /// Everything known to be in the file is delivered.
        case delivered
        /// Bytes past the committed offset are not delivered yet (see ``CheckpointFileStatus/lag``).
        case behind
        /// The file is now shorter than its committed offset (truncated since the checkpoint).
        case truncated
        /// The file is not at its path any more and the checkpoint already knows it is gone.
        case gone
        /// The file is not at its path (deleted or rotated since the last checkpoint).
        case missing
    }

    /// The path recorded in the checkpoint.
    public var path: String
    /// The input that tails it.
    public var inputName: String
    /// The file's size now (nil when it is not there).
    public var size: Int64?
    /// The committed offset.
    public var committedOffset: Int64
    /// Bytes not yet delivered: size now (or last known size) minus the committed offset, at least 0.
    public var lag: Int64
    /// Where the file stands.
    public var state: State
    /// Time since the last acknowledgement (nil if none recorded).
    public var lastAcknowledgementAge: Duration?

    /// The status of `entry` given the file's size now (`currentSize`, nil when the path does not exist).
    /// The caller must check that the file at the path is the entry's file (same device and inode) before
    /// passing its size; pass nil otherwise.
    public init(entry: CheckpointEntry, currentSize: Int64?, now: WallClockTime) {
        path = entry.path
        inputName = entry.inputName
        size = currentSize
        committedOffset = entry.committedOffset
        lastAcknowledgementAge = entry.lastAcknowledgedAt.map { now.duration(since: $0) }
        if let currentSize {
            lag = max(0, currentSize - entry.committedOffset)
            state = currentSize < entry.committedOffset ? .truncated : lag > 0 ? .behind : .delivered
        } else {
            lag = entry.undeliveredBytes
            state = entry.goneSince == nil ? .missing : .gone
        }
    }
}
