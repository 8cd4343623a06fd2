/// The acknowledgement ledger of one file: a pure state machine (no I/O, no clock) that turns
/// out-of-order delivery outcomes into a committed offset that is safe to checkpoint.
///
/// The agent registers the file's bytes in order as segments (``send(_:marker:)`` for a range that went
/// into one Kafka batch, ``skip(_:marker:)`` for a range that is never sent, such as a filtered line).
/// Acknowledgements arrive in any order (``acknowledge(_:at:)``). The committed offset is the end of the
/// longest prefix of segments that are all acknowledged: it never passes a byte that is not acknowledged,
/// and a failed segment (``fail(_:)``) blocks it until the agent re-sends the same range and it is
/// acknowledged. Each segment carries the ``OffsetMarker`` of its end, so the marker of the committed
/// offset is always known without reading the file.
///
/// Cost: registering and acknowledging are amortised O(1); segments are kept in an array in order,
/// the acknowledged prefix is dropped as it forms.
public struct FileAckLedger: Sendable {
    /// One registered segment: where it ends, the marker of its end, its delivery state (its start is the previous end).
    struct Segment: Sendable {
        var end: Int64
        var marker: OffsetMarker
        var state: SegmentState
    }

    /// Bumped by ``restart(at:marker:)``; ids of older generations are ignored.
    public private(set) var generation: UInt32
    /// The end of the longest acknowledged prefix: what a checkpoint may store.
    public private(set) var committedOffset: Int64
    /// The marker of ``committedOffset``.
    public private(set) var committedMarker: OffsetMarker
    /// The end of the last registered segment (sent or skipped): where the next segment must start.
    public private(set) var highestSentOffset: Int64
    /// Bytes registered but not acknowledged (in flight or failed).
    public private(set) var bytesInFlight: Int64
    /// Bytes whose last delivery failed and that wait to be re-sent (part of ``bytesInFlight``).
    public private(set) var bytesFailed: Int64
    /// The latest time passed to ``acknowledge(_:at:)``.
    public private(set) var lastAcknowledgement: WallClockTime?

    private var segments: [Segment] = []
    /// Index in `segments` of the first segment not yet committed.
    private var head = 0
    /// Sequence number of `segments[head]`.
    private var headSequence: UInt64 = 0

    /// A ledger whose committed offset starts at `committedOffset` (where reading resumes).
    public init(committedOffset: Int64 = 0, marker: OffsetMarker = .none, generation: UInt32 = 0) {
        self.generation = generation
        self.committedOffset = committedOffset
        self.committedMarker = marker
        self.highestSentOffset = committedOffset
        self.bytesInFlight = 0
        self.bytesFailed = 0
        self.lastAcknowledgement = nil
    }

    /// Segments registered and not yet committed.
    public var pendingSegmentCount: Int { segments.count - head }

    /// The id the next registered segment will get.
    public var nextSegmentID: SegmentID {
        SegmentID(generation: generation, sequence: headSequence + UInt64(segments.count - head))
    }

    /// Registers `range`, about to be sent, and returns its id. `range` must start at
    /// ``highestSentOffset`` and be non-empty; `marker` describes the bytes ending at `range.upperBound`.
    public mutating func send(_ range: Range<Int64>, marker: OffsetMarker) throws(CheckpointError) -> SegmentID {
        try append(range, marker: marker, state: .inFlight)
    }

    /// Marks `range` as done without sending it (a filtered line, the skipped tail of an over-long line).
    /// Same rules as ``send(_:marker:)``; the committed offset may move at once.
    @discardableResult
    public mutating func skip(_ range: Range<Int64>, marker: OffsetMarker) throws(CheckpointError) -> AckOutcome {
        _ = try append(range, marker: marker, state: .acknowledged)
        return advance()
    }

    /// Records the acknowledgement of segment `id` at `time`; moves the committed offset if it can.
    public mutating func acknowledge(_ id: SegmentID, at time: WallClockTime) -> AckOutcome {
        guard id.generation == generation else { return .staleGeneration }
        guard let index = index(of: id) else {
            return id.sequence < headSequence ? .duplicate : .unknownSegment
        }
        let state = segments[index].state
        if state == .acknowledged { return .duplicate }
        let length = segments[index].end - start(of: index)
        bytesInFlight -= length
        if state == .failed { bytesFailed -= length }
        segments[index].state = .acknowledged
        if lastAcknowledgement.map({ time > $0 }) ?? true { lastAcknowledgement = time }
        return advance()
    }

    /// Records that the delivery of segment `id` failed: it stays registered, blocks the committed
    /// offset, and must be sent again. Returns its range, or nil for an unknown, stale or acknowledged id.
    @discardableResult
    public mutating func fail(_ id: SegmentID) -> Range<Int64>? {
        guard id.generation == generation, let index = index(of: id) else { return nil }
        guard segments[index].state == .inFlight else {
            return segments[index].state == .failed ? start(of: index)..<segments[index].end : nil
        }
        segments[index].state = .failed
        bytesFailed += segments[index].end - start(of: index)
        return start(of: index)..<segments[index].end
    }

    /// Records that failed segment `id` is being sent again (same range, same id). Returns its range,
    /// or nil for an unknown, stale or acknowledged id.
    @discardableResult
    public mutating func resend(_ id: SegmentID) -> Range<Int64>? {
        guard id.generation == generation, let index = index(of: id) else { return nil }
        switch segments[index].state {
        case .acknowledged: return nil
        case .inFlight: break
        case .failed:
            segments[index].state = .inFlight
            bytesFailed -= segments[index].end - start(of: index)
        }
        return start(of: index)..<segments[index].end
    }

    /// The state of segment `id`: `.acknowledged` once committed, nil when unknown or stale.
    public func state(of id: SegmentID) -> SegmentState? {
        guard id.generation == generation else { return nil }
        if let index = index(of: id) { return segments[index].state }
        return id.sequence < headSequence ? .acknowledged : nil
    }

    /// The byte range of pending segment `id`, nil once committed or when unknown.
    public func range(of id: SegmentID) -> Range<Int64>? {
        guard id.generation == generation, let index = index(of: id) else { return nil }
        return start(of: index)..<segments[index].end
    }

    /// Starts a new generation at `offset` (0 after a copytruncate): every pending segment is abandoned
    /// and later outcomes for them are ignored (``AckOutcome/staleGeneration``).
    public mutating func restart(at offset: Int64 = 0, marker: OffsetMarker = .none) -> LedgerRestart {
        let summary = LedgerRestart(
            previousGeneration: generation, previousCommittedOffset: committedOffset,
            previousHighestSentOffset: highestSentOffset, abandonedBytes: bytesInFlight
        )
        generation &+= 1
        committedOffset = offset
        committedMarker = marker
        highestSentOffset = offset
        bytesInFlight = 0
        bytesFailed = 0
        segments.removeAll(keepingCapacity: false)
        head = 0
        headSequence = 0
        return summary
    }

    private mutating func append(
        _ range: Range<Int64>, marker: OffsetMarker, state: SegmentState
    ) throws(CheckpointError) -> SegmentID {
        guard range.lowerBound == highestSentOffset, !range.isEmpty else {
            throw CheckpointError(
                code: .segmentNotContiguous,
                message: "segment \(range) must be non-empty and start at \(highestSentOffset)",
                operation: "ledger.append"
            )
        }
        guard marker.isValid(at: range.upperBound) else {
            throw CheckpointError(
                code: .invalidMarker, message: "marker \(marker) cannot describe offset \(range.upperBound)",
                operation: "ledger.append"
            )
        }
        let id = nextSegmentID
        segments.append(Segment(end: range.upperBound, marker: marker, state: state))
        highestSentOffset = range.upperBound
        if state != .acknowledged { bytesInFlight += Int64(range.count) }
        return id
    }

    private func index(of id: SegmentID) -> Int? {
        guard id.sequence >= headSequence else { return nil }
        let distance = id.sequence - headSequence
        guard distance < UInt64(segments.count - head) else { return nil }
        return head + Int(distance)
    }

    private func start(of index: Int) -> Int64 {
        index == head ? committedOffset : segments[index - 1].end
    }

    private mutating func advance() -> AckOutcome {
        let before = committedOffset
        while head < segments.count, segments[head].state == .acknowledged {
            committedOffset = segments[head].end
            committedMarker = segments[head].marker
            head += 1
            headSequence += 1
        }
        if head == segments.count {
            segments.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= segments.count {
            segments.removeFirst(head)
            head = 0
        }
        return committedOffset > before ? .advanced(to: committedOffset) : .blocked(at: committedOffset)
    }
}
