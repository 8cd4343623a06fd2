/// What the accumulator knows of one topic: its partitions (from metadata), the sticky partition of
/// keyless records, and the batch being filled for each partition. Guarded by the accumulator's lock.
final class TopicHandle: @unchecked Sendable {
    /// One partition's open batch and batch counter.
    struct PartitionSlot {
        var open: OpenBatch?
        var nextIndex: UInt64 = 0
    }

    /// The topic's name.
    let name: String
    /// Number of partitions; 0 until metadata arrives.
    var partitionCount: Int32 = 0
    /// Partitions that have a leader now (keyless records go to these).
    var availablePartitions: [Int32] = []
    /// Where keyless records go until the batch there closes.
    var stickyPartition: Int32?
    /// A metadata error that makes sending to this topic fail at once (authorization, invalid topic).
    var fatalError: ProducerError?
    /// Open batches, indexed by partition.
    var slots: [PartitionSlot] = []
    /// Bytes of `buffer.memory` this topic's records hold (open batches, and sealed ones not completed).
    var bufferedBytes = 0

    init(name: String) { self.name = name }

    /// Mutates the open batch of `partition` in place (it must exist).
    @inline(__always)
    func withOpenBatch<T>(_ partition: Int, _ body: (inout OpenBatch) -> T) -> T {
        body(&slots[partition].open!)
    }

    /// Resizes the slots after metadata changed the partition count (partitions only ever grow).
    func setPartitions(count: Int32, available: [Int32]) {
        partitionCount = count
        availablePartitions = available
        if slots.count < Int(count) {
            slots.append(contentsOf: repeatElement(PartitionSlot(), count: Int(count) - slots.count))
        }
        if let sticky = stickyPartition, !available.contains(sticky) { stickyPartition = nil }
    }
}

import KafkaWire

/// The batch being filled for one partition.
struct OpenBatch {
    var builder: RecordBatchBuilder
    var tokens: [UInt64]
    var createdAt: UInt64
    var reservedBytes: Int
}
