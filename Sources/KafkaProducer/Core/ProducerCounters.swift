import Synchronization

/// Counters of what the producer did, readable from any thread (the metrics endpoint reads them).
public final class ProducerCounters: Sendable {
    /// Records accepted by `send`.
    public let recordsSent = Atomic<Int>(0)
    /// Records the brokers acknowledged.
    public let recordsDelivered = Atomic<Int>(0)
    /// Records reported as not delivered.
    public let recordsFailed = Atomic<Int>(0)
    /// Batches acknowledged.
    public let batchesDelivered = Atomic<Int>(0)
    /// Batch attempts that failed and were retried.
    public let retries = Atomic<Int>(0)
    /// Produce requests written.
    public let requestsSent = Atomic<Int>(0)
    /// Bytes of record batches written (compressed size).
    public let batchBytesSent = Atomic<Int>(0)
    /// Connections that closed or failed.
    public let connectionFailures = Atomic<Int>(0)
    /// Metadata responses applied (the cluster was reached: TCP, TLS, SASL and a request answered).
    public let metadataResponses = Atomic<Int>(0)
    /// Bytes of the batches acknowledged, as sent (compressed, 61-byte headers included).
    public let deliveredBatchBytes = Atomic<Int>(0)
    /// Bytes of the same batches before compression (headers included): with ``deliveredBatchBytes``, the
    /// compression ratio achieved.
    public let deliveredUncompressedBytes = Atomic<Int>(0)
    /// Partition errors in Produce responses, by Kafka error code (retried or final).
    private let errors = Mutex<[Int16: Int]>([:])

    /// Makes counters at zero.
    public init() {}

    /// Partition errors in Produce responses so far, by Kafka error code (`KafkaErrorCode(rawValue:)` names
    /// them).
    public var brokerErrors: [Int16: Int] { errors.withLock { $0 } }

    /// Replaces the error counts (the producer's event loop copies its own table when it changed).
    func setBrokerErrors(_ table: [Int16: Int]) { errors.withLock { $0 = table } }

    /// A consistent-enough copy of every counter.
    public var snapshot: [String: Int] {
        [
            "records_sent": recordsSent.load(ordering: .relaxed),
            "records_delivered": recordsDelivered.load(ordering: .relaxed),
            "records_failed": recordsFailed.load(ordering: .relaxed),
            "batches_delivered": batchesDelivered.load(ordering: .relaxed),
            "retries": retries.load(ordering: .relaxed),
            "requests_sent": requestsSent.load(ordering: .relaxed),
            "batch_bytes_sent": batchBytesSent.load(ordering: .relaxed),
            "connection_failures": connectionFailures.load(ordering: .relaxed),
            "metadata_responses": metadataResponses.load(ordering: .relaxed),
            "delivered_batch_bytes": deliveredBatchBytes.load(ordering: .relaxed),
            "delivered_uncompressed_bytes": deliveredUncompressedBytes.load(ordering: .relaxed),
        ]
    }
}
