/// Names one segment of one file in an ``FileAckLedger``: the ledger generation it belongs to (bumped by
/// ``FileAckLedger/restart(at:marker:)`` after a copytruncate) and its sequence number in that file.
///
/// The agent keeps it with the Kafka batch the segment went into and hands it back with the
/// acknowledgement or the failure. An id from an older generation is recognised and ignored.
public struct SegmentID: Hashable, Sendable, CustomStringConvertible {
    /// The ledger generation of the file when the segment was registered.
    public var generation: UInt32
    /// The segment's position in the file's sequence of segments (0, 1, 2 ... per generation).
    public var sequence: UInt64

    /// Makes an id.
    public init(generation: UInt32, sequence: UInt64) {
        self.generation = generation
        self.sequence = sequence
    }

    /// "g<generation>#<sequence>".
    public var description: String { "g\(generation)#\(sequence)" }
}

/// What an acknowledgement (or a skipped range) did to a file's committed offset.
public enum AckOutcome: Hashable, Sendable {
    /// The committed offset moved forward to this offset.
    case advanced(to: Int64)
    /// Recorded, but an earlier segment is still unacknowledged: the committed offset stays here.
    case blocked(at: Int64)
    /// The segment was already acknowledged (or already committed): nothing changed.
    case duplicate
    /// The segment belongs to an older generation of the file (before a restart): ignored.
    case staleGeneration
    /// No such segment was ever registered: ignored.
    case unknownSegment

    /// Whether the committed offset moved.
    public var advanced: Bool {
        if case .advanced = self { return true }
        return false
    }
}

/// The delivery state of one registered segment.
public enum SegmentState: UInt8, Hashable, Sendable {
    /// Sent, outcome not known yet.
    case inFlight
    /// Its delivery failed; it waits to be sent again and blocks the committed offset meanwhile.
    case failed
    /// Acknowledged by the broker, or marked done without sending.
    case acknowledged
}

/// What ``FileAckLedger/restart(at:marker:)`` abandoned of the previous generation.
public struct LedgerRestart: Hashable, Sendable {
    /// The generation that ended.
    public var previousGeneration: UInt32
    /// Its committed offset when it ended.
    public var previousCommittedOffset: Int64
    /// The end of the last segment registered in it.
    public var previousHighestSentOffset: Int64
    /// Bytes registered in it but not acknowledged (their acknowledgements, if they come, are ignored).
    public var abandonedBytes: Int64
}
