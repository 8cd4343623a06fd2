import FileTailing

/// What the checkpoint remembers of one tracked file.
public struct CheckpointEntry: Hashable, Sendable {
    /// Who the file is: device, inode and fingerprint of its first bytes.
    public var identity: FileIdentity
    /// The path the file was last seen at.
    public var path: String
    /// The name of the configured input that tails it.
    public var inputName: String
    /// The end of the longest acknowledged prefix: where reading resumes.
    public var committedOffset: Int64
    /// The marker of ``committedOffset`` (hash of the bytes just before it).
    public var marker: OffsetMarker
    /// The file's size when last observed (used to count undelivered bytes if it vanishes).
    public var knownSize: Int64
    /// When this entry last changed.
    public var updatedAt: WallClockTime
    /// When a delivery of this file was last acknowledged.
    public var lastAcknowledgedAt: WallClockTime?
    /// When the file was first found gone (deleted, or out of every input); nil while it exists.
    /// Whoever sets it has accounted for the file's undelivered bytes.
    public var goneSince: WallClockTime?

    /// Makes an entry.
    public init(
        identity: FileIdentity, path: String, inputName: String, committedOffset: Int64,
        marker: OffsetMarker, knownSize: Int64, updatedAt: WallClockTime,
        lastAcknowledgedAt: WallClockTime? = nil, goneSince: WallClockTime? = nil
    ) {
        self.identity = identity
        self.path = path
        self.inputName = inputName
        self.committedOffset = committedOffset
        self.marker = marker
        self.knownSize = knownSize
        self.updatedAt = updatedAt
        self.lastAcknowledgedAt = lastAcknowledgedAt
        self.goneSince = goneSince
    }

    /// Bytes known to exist past the committed offset: not delivered yet (0 if none).
    public var undeliveredBytes: Int64 { max(0, knownSize - committedOffset) }
}
