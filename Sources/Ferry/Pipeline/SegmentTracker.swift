import Checkpointing
import FileTailing

/// Maps the producer's record tokens back to ledger segments. Every record of one segment (the lines of a
/// file read in one chunk) carries the same token; a segment is acknowledged once as many of its records
/// were acknowledged as it sent (the count is known only after the chunk was appended, hence ``finish``).
struct SegmentTracker {
    struct Segment {
        var file: TailedFileID
        /// The ledger segment, known once the chunk was appended (its range is known then).
        var id: SegmentID?
        var expected: Int?
        var acknowledged = 0
    }

    private(set) var segments: [UInt64: Segment] = [:]
    private var nextToken: UInt64 = 1

    /// Registers a segment; returns the token its records carry.
    mutating func start(file: TailedFileID) -> UInt64 {
        let token = nextToken
        nextToken += 1
        segments[token] = Segment(file: file, id: nil)
        return token
    }

    /// Sets the ledger segment and how many records it sent; returns the segment if it is complete already.
    /// A segment without records or ledger range (`id` nil) is simply dropped.
    mutating func finish(_ token: UInt64, records: Int, id: SegmentID?) -> Segment? {
        guard var segment = segments[token] else { return nil }
        guard let id else {
            segments[token] = nil
            return nil
        }
        segment.id = id
        segment.expected = records
        if segment.acknowledged >= records {
            segments[token] = nil
            return segment
        }
        segments[token] = segment
        return nil
    }

    /// Counts `count` acknowledged records of `token`; returns the segment when it became complete.
    mutating func acknowledge(_ token: UInt64, count: Int) -> Segment? {
        guard var segment = segments[token] else { return nil }
        segment.acknowledged += count
        if let expected = segment.expected, segment.id != nil, segment.acknowledged >= expected {
            segments[token] = nil
            return segment
        }
        segments[token] = segment
        return nil
    }

    /// The file of `token`'s segment, while it is pending.
    func file(of token: UInt64) -> TailedFileID? { segments[token]?.file }

    /// Segments not complete yet.
    var pending: Int { segments.count }
}
