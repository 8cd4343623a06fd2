import KafkaWire

/// The producer id and epoch under which sequence numbers are assigned (idempotence).
struct ProducerIdentity: Hashable, Sendable, CustomStringConvertible {
    var producerId: Int64
    var epoch: Int16
    var description: String { "\(producerId)/\(epoch)" }
}

/// A sealed batch on its way to a partition leader, with everything retries need.
struct ProducerBatch: Sendable {
    /// Unique within the producer.
    let id: UInt64
    /// Where it goes.
    let topicPartition: TopicPartition
    /// Its rank among its partition's batches (send order).
    let index: UInt64
    /// The encoded, compressed batch; re-stamped when its sequence or producer identity changes.
    var sealed: SealedRecordBatch
    /// One token per record, in record order.
    let tokens: [UInt64]
    /// When its first record was appended (monotonic ns), for `delivery.timeout.ms`.
    let createdAt: UInt64
    /// Bytes of `buffer.memory` it holds.
    let reservedBytes: Int
    /// The first record's sequence number, once assigned (idempotence), under ``identity``.
    var baseSequence: Int32?
    /// The producer identity ``baseSequence`` belongs to.
    var identity: ProducerIdentity?
    /// Whether ``sealed`` carries the current stamp (sequence and identity, or the -1 fields).
    var stamped = false
    /// Send attempts so far.
    var attempts = 0
    /// Whether an attempt may have written it (a lost connection, a timeout, or an error the broker gives
    /// after writing). Such a batch is never reported failed by a timeout: it is retried until its fate is known.
    var possiblyWritten = false
    /// Not to be sent again before this monotonic time.
    var retryAt: UInt64 = 0
    /// The last error an attempt got.
    var lastError: ProducerError?
    /// A retry under the old identity (before an epoch bump) got an idempotence error: its fate
    /// cannot be learnt any more.
    var unresolvable = false
    /// Too large for the broker, being split on a compression thread: it holds its partition's queue (nothing
    /// of the partition is sent) until its halves replace it.
    var splitting = false

    /// Number of records.
    var recordCount: Int32 { sealed.recordCount }

    /// Writes the producer fields for the current attempt into the batch (and its CRC).
    mutating func stamp() {
        guard !stamped else { return }
        sealed.stamp(
            producerId: identity?.producerId ?? -1, producerEpoch: identity?.epoch ?? -1, baseSequence: baseSequence ?? -1)
        stamped = true
    }
}
