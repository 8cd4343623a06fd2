import KafkaWire
import Testing

@testable import FerryTestSupport

/// The fake cluster's idempotence rules, as scripts of "batch -> answer" (pure: no sockets). The fault
/// tests are only as good as these rules, so each rule a broker applies has a line here.
@Suite("Fault harness: fake partition log")
struct FakePartitionLogTests {
    /// A batch of `count` records from producer `id`/`epoch` starting at `sequence`.
    static func batch(_ id: Int64, epoch: Int16 = 0, sequence: Int32, count: Int = 3) -> RecordBatch {
        RecordBatch(
            baseTimestamp: 1000, producerId: id, producerEpoch: epoch, baseSequence: sequence,
            records: (0..<count).map { Record(offsetDelta: Int32($0), key: nil, value: Array("v\(sequence)-\($0)".utf8)) })
    }

    @Test("in-order batches are appended with consecutive offsets; the same batch again is a duplicate at its first offset")
    func appendAndDuplicate() {
        var log = FakePartitionLog()
        #expect(log.append(Self.batch(7, sequence: 0), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 0))
        #expect(log.append(Self.batch(7, sequence: 3, count: 2), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 3))
        #expect(log.append(Self.batch(7, sequence: 0), node: 2, staleEpochError: .invalidProducerEpoch) == .duplicate(baseOffset: 0))
        #expect(log.append(Self.batch(7, sequence: 3, count: 2), node: 1, staleEpochError: .invalidProducerEpoch) == .duplicate(baseOffset: 3))
        #expect(log.records.map(\.offset) == [0, 1, 2, 3, 4])
        #expect(log.records.map(\.sequence) == [0, 1, 2, 3, 4])
        #expect(log.records.map(\.node) == [1, 1, 1, 1, 1])
    }

    @Test("a gap is OUT_OF_ORDER_SEQUENCE_NUMBER; a batch older than the last 5 is no longer a duplicate")
    func gapAndForgottenDuplicate() {
        var log = FakePartitionLog()
        for index in 0..<6 {
            #expect(log.append(Self.batch(7, sequence: Int32(index * 3)), node: 1, staleEpochError: .invalidProducerEpoch)
                == .appended(baseOffset: Int64(index * 3)))
        }
        guard case .rejected(.outOfOrderSequenceNumber, _) = log.append(Self.batch(7, sequence: 21), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("a gap was accepted")
            return
        }
        // Batch 0 fell out of the last 5: a real broker cannot tell it is a duplicate any more.
        guard case .rejected(.outOfOrderSequenceNumber, _) = log.append(Self.batch(7, sequence: 0), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("a batch older than the last 5 was not refused")
            return
        }
        #expect(log.append(Self.batch(7, sequence: 3), node: 1, staleEpochError: .invalidProducerEpoch) == .duplicate(baseOffset: 3))
        #expect(log.records.count == 18)
    }

    @Test("unknown producer id: sequence 0 starts it, any other is UNKNOWN_PRODUCER_ID (also after forget)")
    func unknownProducer() {
        var log = FakePartitionLog()
        guard case .rejected(.unknownProducerId, _) = log.append(Self.batch(8, sequence: 5), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("unknown producer id with sequence 5 accepted")
            return
        }
        #expect(log.append(Self.batch(8, sequence: 0), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 0))
        log.forget(producerId: 8)
        guard case .rejected(.unknownProducerId, _) = log.append(Self.batch(8, sequence: 3), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("a forgotten producer id was still known")
            return
        }
        #expect(log.records.count == 3)
    }

    @Test("epochs: a newer one must start at 0 and resets the sequence; an older one is refused with the configured code")
    func epochs() {
        var log = FakePartitionLog()
        #expect(log.append(Self.batch(7, sequence: 0), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 0))
        guard case .rejected(.outOfOrderSequenceNumber, _) = log.append(Self.batch(7, epoch: 1, sequence: 3), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("new epoch accepted at sequence 3")
            return
        }
        #expect(log.append(Self.batch(7, epoch: 1, sequence: 0), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 3))
        guard case .rejected(.invalidProducerEpoch, _) = log.append(Self.batch(7, epoch: 0, sequence: 3), node: 1, staleEpochError: .invalidProducerEpoch) else {
            Issue.record("old epoch accepted")
            return
        }
        guard case .rejected(.producerFenced, _) = log.append(Self.batch(7, epoch: 0, sequence: 3), node: 1, staleEpochError: .producerFenced) else {
            Issue.record("old epoch not fenced")
            return
        }
        #expect(log.records.map(\.producerEpoch) == [0, 0, 0, 1, 1, 1])
    }

    @Test("batches without a producer id are appended as they come; sequences wrap after Int32.max")
    func plainBatchesAndWrap() {
        var log = FakePartitionLog()
        #expect(log.append(Self.batch(-1, epoch: -1, sequence: -1), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 0))
        #expect(log.append(Self.batch(-1, epoch: -1, sequence: -1), node: 1, staleEpochError: .invalidProducerEpoch) == .appended(baseOffset: 3))
        #expect(log.records.allSatisfy { $0.sequence == -1 && $0.producerId == -1 })
        #expect(FakePartitionLog.increment(Int32.max, by: 1) == 0)
        #expect(FakePartitionLog.increment(Int32.max - 1, by: 3) == 1)
        #expect(FakePartitionLog.increment(5, by: 3) == 8)
    }
}
