import Atomics
import Synchronization

/// What the pipeline did, readable from any thread (`ferry run` logs them; the metrics endpoint will
/// export them as `ferry_<noun>_<unit>_total`).
public final class PipelineCounters: Sendable {
    /// Lines read from files.
    public let linesRead = ManagedAtomic<Int>(0)
    /// Bytes of lines read (terminators included).
    public let bytesRead = ManagedAtomic<Int>(0)
    /// Records handed to the producer.
    public let recordsSent = ManagedAtomic<Int>(0)
    /// Records Kafka acknowledged.
    public let recordsAcknowledged = ManagedAtomic<Int>(0)
    /// Records the producer could not finish before the agent stopped: read again at the next start.
    public let recordsUnfinished = ManagedAtomic<Int>(0)
    /// Lines a container format could not read, shipped raw.
    public let formatErrors = ManagedAtomic<Int>(0)
    /// Bytes lost because a file was truncated before they were read.
    public let bytesLostTruncated = ManagedAtomic<Int>(0)
    /// Bytes lost because a file was deleted or rotated away before they were read.
    public let bytesLostDeleted = ManagedAtomic<Int>(0)
    /// Times reading was paused because Kafka did not keep up.
    public let pauses = ManagedAtomic<Int>(0)
    /// Times an input's lines were deferred because its topic could not take them (unknown, refusing, or
    /// its share of the buffer full).
    public let deferrals = ManagedAtomic<Int>(0)
    /// Records (and their value bytes) given up after they were read, by reason.
    private let losses = Mutex<[DeliveryLoss: (records: Int, bytes: Int)]>([:])

    public init() {}

    /// Counts records given up for `reason`.
    func lost(reason: DeliveryLoss, records: Int, bytes: Int) {
        losses.withLock { table in
            let current = table[reason] ?? (0, 0)
            table[reason] = (current.records + records, current.bytes + bytes)
        }
    }

    /// Records and bytes given up, by reason.
    public var lost: [DeliveryLoss: (records: Int, bytes: Int)] { losses.withLock { $0 } }
}

/// Why records read from files were given up instead of delivered (each one logged as an error with its
/// reason, and counted).
public enum DeliveryLoss: String, Hashable, Sendable, CaseIterable {
    /// Larger than the broker (or `max.request.size`) will ever take.
    case recordTooLarge = "record_too_large"
    /// The broker refused the records themselves (INVALID_RECORD, INVALID_TIMESTAMP...): sending them again
    /// cannot work.
    case refusedByBroker = "refused_by_broker"
    /// The batch could not be compressed.
    case compressionFailed = "compression_failed"
    /// The broker answered an error after an attempt that may have written them: they may or may not be in
    /// Kafka, and are not sent again.
    case outcomeUnknown = "outcome_unknown"
    /// The producer gave up on them for another reason (its error code is logged).
    case notDelivered = "not_delivered"
}
