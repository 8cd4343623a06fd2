import KafkaWire

/// One partition of the fake cluster: its log of record batches (offsets assigned on append) and Kafka's
/// idempotence state per producer id (the epoch, and the sequence ranges of its last 5 batches).
///
/// Pure: ``append(_:rules:)`` decides what a broker would answer to a batch and appends it when accepted.
/// The idempotence rules follow the brief of the fault tests, which is how a broker answers:
/// - the next batch of a known producer must start at `lastSequence + 1` (wrapping after `Int32.max`),
///   else OUT_OF_ORDER_SEQUENCE_NUMBER;
/// - a batch equal to one of its last 5 is a duplicate: DUPLICATE_SEQUENCE_NUMBER, or success with the
///   first append's offset (``FakeKafkaOptions/DuplicateAnswer``);
/// - an unknown producer id whose first sequence is not 0 gets UNKNOWN_PRODUCER_ID;
/// - an epoch older than the known one gets INVALID_PRODUCER_EPOCH (or PRODUCER_FENCED, per options);
///   a newer epoch must start at sequence 0.
struct FakePartitionLog: Sendable {
    /// The sequence range of one appended batch, remembered to detect duplicates.
    struct BatchMetadata: Sendable, Equatable {
        var firstSequence: Int32
        var lastSequence: Int32
        var baseOffset: Int64
    }

    /// What the partition knows of one producer id.
    struct ProducerState: Sendable, Equatable {
        var epoch: Int16
        /// The last (at most) 5 batches, oldest first.
        var recent: [BatchMetadata] = []
    }

    /// What the broker answers for one batch.
    enum Outcome: Sendable, Equatable {
        /// Appended at this base offset.
        case appended(baseOffset: Int64)
        /// Already in the log (one of the producer's last 5 batches), at this base offset.
        case duplicate(baseOffset: Int64)
        /// Refused with this error code.
        case rejected(KafkaErrorCode, String)
    }

    /// How many batches per producer Kafka remembers for duplicate detection.
    static let rememberedBatches = 5

    /// The records, in log order (empty when ``keepsRecords`` is off).
    private(set) var records: [FakeKafkaRecord] = []
    /// Whether appended records are kept (off for long fuzz runs: offsets and idempotence only).
    var keepsRecords = true
    /// The offset the next record gets.
    private(set) var nextOffset: Int64 = 0
    /// Idempotence state per producer id.
    private(set) var producers: [Int64: ProducerState] = [:]

    /// The sequence that follows `sequence` (Kafka wraps from `Int32.max` to 0).
    static func increment(_ sequence: Int32, by count: Int32) -> Int32 {
        let next = Int64(sequence) + Int64(count)
        return Int32(truncatingIfNeeded: next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
    }

    /// Decides on `batch` (already CRC-checked) and appends it when it is accepted; `node` is the broker that
    /// appends it (kept with each record for the tests). `staleEpochError` is the code for an older epoch.
    mutating func append(_ batch: RecordBatch, node: Int32, staleEpochError: KafkaErrorCode) -> Outcome {
        let count = Int32(batch.records.count)
        guard count > 0 else { return .rejected(.invalidRecord, "empty batch") }
        guard batch.producerId >= 0 else {
            return .appended(baseOffset: write(batch, node: node))
        }
        let first = batch.baseSequence
        guard first >= 0 else {
            return .rejected(.invalidRecord, "producer id \(batch.producerId) with sequence \(first)")
        }
        let last = Self.increment(first, by: count - 1)
        guard var state = producers[batch.producerId] else {
            guard first == 0 else {
                return .rejected(
                    .unknownProducerId, "no state for producer id \(batch.producerId); first sequence \(first) is not 0")
            }
            var fresh = ProducerState(epoch: batch.producerEpoch)
            let offset = write(batch, node: node)
            fresh.recent = [BatchMetadata(firstSequence: first, lastSequence: last, baseOffset: offset)]
            producers[batch.producerId] = fresh
            return .appended(baseOffset: offset)
        }
        if batch.producerEpoch < state.epoch {
            return .rejected(
                staleEpochError, "epoch \(batch.producerEpoch) of producer id \(batch.producerId) is older than \(state.epoch)")
        }
        if batch.producerEpoch > state.epoch {
            guard first == 0 else {
                return .rejected(
                    .outOfOrderSequenceNumber,
                    "new epoch \(batch.producerEpoch) of producer id \(batch.producerId) starts at sequence \(first), not 0")
            }
            state = ProducerState(epoch: batch.producerEpoch)
        } else {
            if let duplicate = state.recent.first(where: { $0.firstSequence == first && $0.lastSequence == last }) {
                return .duplicate(baseOffset: duplicate.baseOffset)
            }
            if let previous = state.recent.last {
                let expected = Self.increment(previous.lastSequence, by: 1)
                guard first == expected else {
                    return .rejected(
                        .outOfOrderSequenceNumber,
                        "producer id \(batch.producerId) epoch \(state.epoch): expected sequence \(expected), got \(first)")
                }
            } else if first != 0 {
                return .rejected(.outOfOrderSequenceNumber, "producer id \(batch.producerId): expected sequence 0, got \(first)")
            }
        }
        let offset = write(batch, node: node)
        state.recent.append(BatchMetadata(firstSequence: first, lastSequence: last, baseOffset: offset))
        if state.recent.count > Self.rememberedBatches { state.recent.removeFirst(state.recent.count - Self.rememberedBatches) }
        producers[batch.producerId] = state
        return .appended(baseOffset: offset)
    }

    /// Whether `batch` is one of its producer's last 5 batches under the same epoch (a retry of a written batch).
    func isDuplicate(_ batch: RecordBatch) -> Bool {
        guard batch.producerId >= 0, batch.baseSequence >= 0, !batch.records.isEmpty, let state = producers[batch.producerId],
            state.epoch == batch.producerEpoch
        else { return false }
        let last = Self.increment(batch.baseSequence, by: Int32(batch.records.count) - 1)
        return state.recent.contains { $0.firstSequence == batch.baseSequence && $0.lastSequence == last }
    }

    /// Forgets `producerId` (every producer when `nil`), as a broker does when producer state expires.
    mutating func forget(producerId: Int64?) {
        if let producerId {
            producers[producerId] = nil
        } else {
            producers = [:]
        }
    }

    /// Appends the batch's records at the end of the log; returns the base offset.
    private mutating func write(_ batch: RecordBatch, node: Int32) -> Int64 {
        let base = nextOffset
        for record in batch.records where keepsRecords {
            let sequence = batch.baseSequence >= 0 ? Self.increment(batch.baseSequence, by: record.offsetDelta) : -1
            records.append(FakeKafkaRecord(
                offset: base + Int64(record.offsetDelta), timestamp: batch.baseTimestamp + record.timestampDelta,
                key: record.key, value: record.value, headers: record.headers, producerId: batch.producerId,
                producerEpoch: batch.producerEpoch, sequence: sequence, node: node))
        }
        nextOffset = base + Int64(batch.lastOffsetDelta) + 1
        return base
    }
}
