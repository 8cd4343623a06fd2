import KafkaWire

/// What the sender needs to know of a closed batch, apart from its records.
struct BatchInfo: Sendable {
    /// Where it goes.
    var topicPartition: TopicPartition
    /// Its rank among the batches of its partition (0, 1, 2 ...): batches are sent in this order even when
    /// compression finishes them out of order.
    var index: UInt64
    /// One token per record, in record order.
    var tokens: [UInt64]
    /// When the first record was appended (monotonic ns).
    var createdAt: UInt64
    /// Bytes of `buffer.memory` held until the batch completes.
    var reservedBytes: Int
}

extension BatchInfo {
    /// The report of a batch none of whose records reached Kafka.
    func failed(_ error: ProducerError) -> DeliveryReport {
        DeliveryReport(
            topic: topicPartition.topic, partition: topicPartition.partition, baseOffset: -1, tokens: tokens,
            logAppendTime: -1, error: error)
    }
}

/// A batch that takes no more records and waits to be compressed.
struct ClosedBatch: Sendable {
    /// Its bookkeeping.
    var info: BatchInfo
    /// The uncompressed records.
    var builder: RecordBatchBuilder
}
