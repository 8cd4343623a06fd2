import Checkpointing
import FerryTestSupport
import Testing

@Suite("Ack ledger")
struct FileAckLedgerTests {
    let t0 = WallClockTime(millisecondsSinceEpoch: 1_000)

    func marker(_ end: Int64) -> OffsetMarker {
        OffsetMarker(length: Int(min(end, 8)), hash: UInt64(end) &* 31)
    }

    @Test("acknowledgements in order move the committed offset segment by segment")
    func inOrder() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<10, marker: marker(10))
        let b = try ledger.send(10..<25, marker: marker(25))
        #expect(ledger.highestSentOffset == 25)
        #expect(ledger.bytesInFlight == 25)
        #expect(ledger.acknowledge(a, at: t0) == .advanced(to: 10))
        #expect(ledger.committedMarker == marker(10))
        #expect(ledger.acknowledge(b, at: t0) == .advanced(to: 25))
        #expect(ledger.committedMarker == marker(25))
        #expect(ledger.bytesInFlight == 0)
        #expect(ledger.pendingSegmentCount == 0)
    }

    @Test("an acknowledgement after a gap waits for the gap, then the frontier jumps")
    func outOfOrder() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<10, marker: marker(10))
        let b = try ledger.send(10..<20, marker: marker(20))
        let c = try ledger.send(20..<30, marker: marker(30))
        #expect(ledger.acknowledge(c, at: t0) == .blocked(at: 0))
        #expect(ledger.acknowledge(b, at: t0) == .blocked(at: 0))
        #expect(ledger.committedOffset == 0)
        #expect(ledger.acknowledge(a, at: t0) == .advanced(to: 30))
        #expect(ledger.committedMarker == marker(30))
    }

    @Test("a failed segment blocks the frontier until it is re-sent and acknowledged")
    func failureBlocks() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<10, marker: marker(10))
        let b = try ledger.send(10..<20, marker: marker(20))
        #expect(ledger.fail(a) == 0..<10)
        #expect(ledger.bytesFailed == 10)
        #expect(ledger.acknowledge(b, at: t0) == .blocked(at: 0))
        #expect(ledger.state(of: a) == .failed)
        #expect(ledger.resend(a) == 0..<10)
        #expect(ledger.bytesFailed == 0)
        #expect(ledger.state(of: a) == .inFlight)
        #expect(ledger.acknowledge(a, at: t0) == .advanced(to: 20))
    }

    @Test("skipped ranges count as done without being sent")
    func skip() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<10, marker: marker(10))
        #expect(try ledger.skip(10..<15, marker: marker(15)) == .blocked(at: 0))
        #expect(ledger.bytesInFlight == 10)
        #expect(ledger.acknowledge(a, at: t0) == .advanced(to: 15))
        #expect(try ledger.skip(15..<40, marker: marker(40)) == .advanced(to: 40))
        #expect(ledger.committedMarker == marker(40))
    }

    @Test("duplicate, unknown and stale acknowledgements change nothing")
    func ignoredAcknowledgements() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<10, marker: marker(10))
        #expect(ledger.acknowledge(a, at: t0) == .advanced(to: 10))
        #expect(ledger.acknowledge(a, at: t0) == .duplicate)
        #expect(ledger.acknowledge(SegmentID(generation: 0, sequence: 99), at: t0) == .unknownSegment)
        let b = try ledger.send(10..<20, marker: marker(20))
        #expect(ledger.acknowledge(b, at: t0) == .advanced(to: 20))
        #expect(ledger.acknowledge(SegmentID(generation: 7, sequence: 0), at: t0) == .staleGeneration)
        #expect(ledger.committedOffset == 20)
    }

    @Test("after a restart (copytruncate) old acknowledgements never move the new generation")
    func restartIgnoresOldGeneration() throws {
        var ledger = FileAckLedger()
        let old1 = try ledger.send(0..<100, marker: marker(100))
        let old2 = try ledger.send(100..<200, marker: marker(200))
        #expect(ledger.acknowledge(old1, at: t0) == .advanced(to: 100))
        let restart = ledger.restart()
        #expect(restart.previousCommittedOffset == 100)
        #expect(restart.abandonedBytes == 100)
        #expect(ledger.committedOffset == 0)
        let new1 = try ledger.send(0..<5, marker: marker(5))
        #expect(new1.sequence == old1.sequence)
        #expect(ledger.acknowledge(old2, at: t0) == .staleGeneration)
        #expect(ledger.acknowledge(old1, at: t0) == .staleGeneration)
        #expect(ledger.committedOffset == 0)
        #expect(ledger.acknowledge(new1, at: t0) == .advanced(to: 5))
    }

    @Test("segments must be contiguous, non-empty and carry a valid marker")
    func validation() throws {
        var ledger = FileAckLedger(committedOffset: 50, marker: marker(50))
        #expect(throws: CheckpointError.self) { try ledger.send(0..<10, marker: .none) }
        #expect(throws: CheckpointError.self) { try ledger.send(51..<60, marker: .none) }
        #expect(throws: CheckpointError.self) { try ledger.send(50..<50, marker: .none) }
        #expect(throws: CheckpointError.self) { try ledger.send(50..<60, marker: OffsetMarker(length: 65, hash: 0)) }
        do {
            _ = try ledger.send(40..<60, marker: .none)
            Issue.record("an overlapping range was accepted")
        } catch {
            #expect(error.code == .segmentNotContiguous)
        }
        #expect(ledger.highestSentOffset == 50)
        #expect(try ledger.send(50..<60, marker: marker(60)).sequence == 0)
    }

    @Test("last acknowledgement time is the latest time seen")
    func lastAcknowledgementTime() throws {
        var ledger = FileAckLedger()
        let a = try ledger.send(0..<1, marker: .none)
        let b = try ledger.send(1..<2, marker: .none)
        _ = ledger.acknowledge(b, at: WallClockTime(millisecondsSinceEpoch: 50))
        _ = ledger.acknowledge(a, at: WallClockTime(millisecondsSinceEpoch: 20))
        #expect(ledger.lastAcknowledgement == WallClockTime(millisecondsSinceEpoch: 50))
    }

    @Test("the multi-file ledger reports which files' offsets moved")
    func multiFile() throws {
        var ledger = AckLedger<String>()
        ledger.track("a")
        ledger.track("b", committedOffset: 100, marker: marker(100))
        #expect(ledger.takeChangedFiles() == ["a", "b"])
        let a1 = try ledger.send("a", 0..<10, marker: marker(10))
        let b1 = try ledger.send("b", 100..<110, marker: marker(110))
        let b2 = try ledger.send("b", 110..<120, marker: marker(120))
        #expect(ledger.acknowledge("b", b2, at: t0) == .blocked(at: 100))
        #expect(ledger.takeChangedFiles().isEmpty)
        #expect(ledger.acknowledge("a", a1, at: t0) == .advanced(to: 10))
        #expect(ledger.takeChangedFiles() == ["a"])
        #expect(ledger.acknowledge("b", b1, at: t0) == .advanced(to: 120))
        #expect(ledger["b"]?.committedOffset == 120)
        #expect(ledger.acknowledge("zzz", b1, at: t0) == .unknownSegment)
        #expect(throws: CheckpointError.self) { try ledger.send("zzz", 0..<1, marker: .none) }
    }
}
