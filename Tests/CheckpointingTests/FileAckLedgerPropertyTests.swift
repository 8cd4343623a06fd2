import Checkpointing
import FerryTestSupport
import Testing

/// Random orders of acknowledgements, failures, retries, skips and copytruncate restarts, checked step by
/// step against a simple model (a set of acknowledged byte ranges).
@Suite("Ack ledger properties")
struct FileAckLedgerPropertyTests {
    struct ModelSegment {
        var id: SegmentID
        var range: Range<Int64>
        var marker: OffsetMarker
        var acknowledged: Bool
        var failed: Bool
    }

    /// The end of the longest prefix of acknowledged segments, starting at `start`.
    static func modelFrontier(_ segments: [ModelSegment], start: Int64) -> (Int64, OffsetMarker?) {
        var frontier = start
        var marker: OffsetMarker?
        for segment in segments {
            guard segment.acknowledged else { break }
            frontier = segment.range.upperBound
            marker = segment.marker
        }
        return (frontier, marker)
    }

    @Test("the committed offset is always the acknowledged prefix and reaches the end", arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func randomHistories(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed &* 0x9E37_79B9)
        var ledger = FileAckLedger()
        var segments: [ModelSegment] = []
        var stale: [SegmentID] = []
        var committed: [SegmentID] = []
        var start: Int64 = 0
        var generationStart: Int64 = 0
        var steps = 0
        for step in 0..<6000 {
            steps = step
            let choice = Int.random(in: 0..<100, using: &random)
            let unacknowledged = segments.indices.filter { !segments[$0].acknowledged }
            if choice < 35 || segments.count < 3 {
                let length = Int64.random(in: 1...500, using: &random)
                let range = start..<(start + length)
                let marker = OffsetMarker(length: Int(min(length, 64)), hash: random.next())
                if Int.random(in: 0..<10, using: &random) == 0 {
                    let id = ledger.nextSegmentID
                    _ = try ledger.skip(range, marker: marker)
                    segments.append(ModelSegment(id: id, range: range, marker: marker, acknowledged: true, failed: false))
                } else {
                    let id = try ledger.send(range, marker: marker)
                    segments.append(ModelSegment(id: id, range: range, marker: marker, acknowledged: false, failed: false))
                }
                start = range.upperBound
            } else if choice < 75, let pick = unacknowledged.randomElement(using: &random) {
                if segments[pick].failed {
                    #expect(ledger.resend(segments[pick].id) == segments[pick].range, "seed \(seed) step \(step)")
                    segments[pick].failed = false
                }
                _ = ledger.acknowledge(segments[pick].id, at: WallClockTime(millisecondsSinceEpoch: Int64(step)))
                segments[pick].acknowledged = true
            } else if choice < 90, let pick = unacknowledged.randomElement(using: &random) {
                #expect(ledger.fail(segments[pick].id) == segments[pick].range, "seed \(seed) step \(step)")
                segments[pick].failed = true
            } else if choice < 95, let pick = segments.indices.filter({ segments[$0].acknowledged }).randomElement(using: &random) {
                // A duplicate acknowledgement never changes anything.
                let before = ledger.committedOffset
                let outcome = ledger.acknowledge(segments[pick].id, at: WallClockTime(millisecondsSinceEpoch: Int64(step)))
                #expect(outcome == .duplicate, "seed \(seed) step \(step)")
                #expect(ledger.committedOffset == before, "seed \(seed) step \(step)")
            } else if choice < 96, let old = committed.randomElement(using: &random) {
                let before = ledger.committedOffset
                #expect(ledger.acknowledge(old, at: WallClockTime(millisecondsSinceEpoch: 0)) == .duplicate, "seed \(seed) step \(step)")
                #expect(ledger.state(of: old) == .acknowledged)
                #expect(ledger.committedOffset == before)
            } else if choice < 97, let old = stale.randomElement(using: &random) {
                let before = ledger.committedOffset
                #expect(ledger.acknowledge(old, at: WallClockTime(millisecondsSinceEpoch: 0)) == .staleGeneration, "seed \(seed) step \(step)")
                #expect(ledger.committedOffset == before)
            } else if choice == 99 {
                // copytruncate: the file restarts at 0, pending segments are abandoned.
                stale.append(contentsOf: segments.map(\.id) + committed)
                committed.removeAll()
                _ = ledger.restart()
                segments.removeAll()
                start = 0
                generationStart = 0
            }
            // Invariants after every step.
            let (frontier, marker) = Self.modelFrontier(segments, start: generationStart)
            #expect(ledger.committedOffset == frontier, "seed \(seed) step \(step)")
            if let marker { #expect(ledger.committedMarker == marker, "seed \(seed) step \(step)") }
            let inFlight = segments.filter { !$0.acknowledged }.reduce(Int64(0)) { $0 + Int64($1.range.count) }
            let failed = segments.filter { !$0.acknowledged && $0.failed }.reduce(Int64(0)) { $0 + Int64($1.range.count) }
            #expect(ledger.bytesInFlight == inFlight, "seed \(seed) step \(step)")
            #expect(ledger.bytesFailed == failed, "seed \(seed) step \(step)")
            #expect(ledger.highestSentOffset == start, "seed \(seed) step \(step)")
            if let firstOpen = segments.first(where: { !$0.acknowledged }) {
                #expect(ledger.committedOffset <= firstOpen.range.lowerBound, "passed an unacknowledged byte; seed \(seed) step \(step)")
            }
            // Drop the committed prefix from the model (keeps it small, mirrors the ledger).
            if let firstOpen = segments.firstIndex(where: { !$0.acknowledged }), firstOpen > 0 {
                generationStart = segments[firstOpen - 1].range.upperBound
                committed.append(contentsOf: segments[0..<firstOpen].map(\.id))
                segments.removeFirst(firstOpen)
            } else if segments.allSatisfy(\.acknowledged), let last = segments.last {
                generationStart = last.range.upperBound
                committed.append(contentsOf: segments.map(\.id))
                segments.removeAll()
            }
        }
        // Acknowledge everything left, failed ones after a retry, in random order: the end is reached.
        for index in segments.indices.shuffled(using: &random) where !segments[index].acknowledged {
            if segments[index].failed { _ = ledger.resend(segments[index].id) }
            _ = ledger.acknowledge(segments[index].id, at: WallClockTime(millisecondsSinceEpoch: 0))
        }
        #expect(ledger.committedOffset == start, "seed \(seed) after \(steps) steps")
        #expect(ledger.bytesInFlight == 0)
        #expect(ledger.pendingSegmentCount == 0)
    }

    @Test("thousands of segments in flight, acknowledged in reverse order")
    func manyInFlight() throws {
        var ledger = FileAckLedger()
        var ids: [SegmentID] = []
        for index in 0..<20_000 {
            ids.append(try ledger.send(Int64(index * 100)..<Int64(index * 100 + 100), marker: .none))
        }
        for id in ids.dropFirst().reversed() {
            #expect(ledger.acknowledge(id, at: WallClockTime(millisecondsSinceEpoch: 1)) == .blocked(at: 0))
        }
        #expect(ledger.acknowledge(ids[0], at: WallClockTime(millisecondsSinceEpoch: 1)) == .advanced(to: 2_000_000))
        #expect(ledger.pendingSegmentCount == 0)
    }
}
