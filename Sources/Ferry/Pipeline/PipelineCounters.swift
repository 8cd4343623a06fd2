import Atomics

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
    /// Lines a container format could not read, shipped raw.
    public let formatErrors = ManagedAtomic<Int>(0)
    /// Records the broker refused for good (too large), counted as lost.
    public let recordsRejected = ManagedAtomic<Int>(0)
    /// Bytes lost because a file was truncated before they were read.
    public let bytesLostTruncated = ManagedAtomic<Int>(0)
    /// Bytes lost because a file was deleted or rotated away before they were read.
    public let bytesLostDeleted = ManagedAtomic<Int>(0)
    /// Bytes of records the broker refused for good.
    public let bytesLostRejected = ManagedAtomic<Int>(0)
    /// Times reading was paused because Kafka did not keep up.
    public let pauses = ManagedAtomic<Int>(0)

    public init() {}
}
