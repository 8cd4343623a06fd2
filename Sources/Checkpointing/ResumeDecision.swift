import FileTailing

/// Where one file found on disk resumes, and why.
public struct ResumeDecision: Hashable, Sendable {
    /// Why the file starts where it does.
    public enum Reason: Hashable, Sendable {
        /// Same identity, same path, fingerprint and marker verified: resume at the committed offset.
        case unchanged
        /// Same identity found under a new path (rotated by rename): resume at its committed offset.
        case renamed(from: String)
        /// Same inode and path, but now shorter than the committed offset: start at 0.
        case truncated(previousOffset: Int64)
        /// Same inode and path, but its first bytes or the bytes before the committed offset changed
        /// (copytruncate then refilled, or inode reuse): start at 0.
        case rewritten(previousOffset: Int64)
        /// A different file now sits at a path the checkpoint knew: start at 0.
        case replaced(previousIdentity: FileIdentity)
        /// No entry: start at the position chosen for unknown files.
        case new
        /// The same file (device and inode) was already decided under another path (a hard link or
        /// overlapping inputs): same start; the agent should tail it only once.
        case sameFileAs(path: String)
        /// The checkpoint entry could not be verified (the file could not be read): start at 0.
        case unverifiable(FileIOFailure)
    }

    /// The file found on disk.
    public var file: ObservedFile
    /// Where reading starts.
    public var startOffset: Int64
    /// The marker of ``startOffset``, to seed the file's ``FileAckLedger``.
    public var marker: OffsetMarker
    /// Why.
    public var reason: Reason
    /// The checkpoint entry this file continues, or the one it replaces.
    public var entry: CheckpointEntry?
    /// Bytes of the previous content that were never delivered and can no longer be
    /// (``LossReason/truncatedBeforeDelivery``); 0 for most decisions.
    public var lostBytes: Int64

    /// Makes a decision.
    public init(
        file: ObservedFile, startOffset: Int64, marker: OffsetMarker, reason: Reason,
        entry: CheckpointEntry? = nil, lostBytes: Int64 = 0
    ) {
        self.file = file
        self.startOffset = startOffset
        self.marker = marker
        self.reason = reason
        self.entry = entry
        self.lostBytes = lostBytes
    }

    /// Whether the file continues from its checkpoint (``Reason/unchanged`` or ``Reason/renamed(from:)``).
    public var resumesCheckpoint: Bool {
        switch reason {
        case .unchanged, .renamed: true
        default: false
        }
    }
}

/// A checkpoint entry whose file was not found on disk.
public struct VanishedFile: Hashable, Sendable {
    /// The entry, with ``CheckpointEntry/goneSince`` set (to now if it was not set already).
    public var entry: CheckpointEntry
    /// Undelivered bytes counted now (``LossReason/deletedBeforeDelivery``); 0 when the entry was already
    /// known gone (counted then) or everything was delivered.
    public var lostBytes: Int64

    /// Makes a value.
    public init(entry: CheckpointEntry, lostBytes: Int64) {
        self.entry = entry
        self.lostBytes = lostBytes
    }
}

/// Everything ``ResumePlanner`` decided: the agent applies it and counts the losses.
public struct ResumePlan: Hashable, Sendable {
    /// One decision per observed file, in the order given.
    public var decisions: [ResumeDecision]
    /// Entries whose file is gone, to keep in the checkpoint (with ``CheckpointEntry/goneSince``) until
    /// they are forgotten.
    public var vanished: [VanishedFile]
    /// Entries gone for longer than `forget_after_hours`: dropped.
    public var forgotten: [CheckpointEntry]
    /// Bytes lost, by reason (the sum of the decisions' and vanished files' `lostBytes`).
    public var lostBytes: [LossReason: Int64]

    /// Makes a plan.
    public init(decisions: [ResumeDecision], vanished: [VanishedFile], forgotten: [CheckpointEntry], lostBytes: [LossReason: Int64]) {
        self.decisions = decisions
        self.vanished = vanished
        self.forgotten = forgotten
        self.lostBytes = lostBytes
    }
}
