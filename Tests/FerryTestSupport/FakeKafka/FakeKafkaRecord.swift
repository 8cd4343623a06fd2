import KafkaWire

/// One record as the fake cluster stored it, with the producer fields of the batch it came in, so that
/// tests can check loss, order and duplicates against what they sent.
public struct FakeKafkaRecord: Sendable, Hashable {
    /// Its offset in the partition.
    public var offset: Int64
    /// Its timestamp (create time: base timestamp + delta).
    public var timestamp: Int64
    /// The key, `nil` for a null key.
    public var key: [UInt8]?
    /// The value, `nil` for a null value.
    public var value: [UInt8]?
    /// The headers, in order.
    public var headers: [RecordHeader]
    /// The producer id of its batch (-1 without idempotence).
    public var producerId: Int64
    /// The producer epoch of its batch.
    public var producerEpoch: Int16
    /// The record's own sequence number (the batch's base sequence + its offset delta), -1 without idempotence.
    public var sequence: Int32
    /// The broker (node id) that appended it.
    public var node: Int32

    /// Makes a record.
    public init(
        offset: Int64, timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader], producerId: Int64,
        producerEpoch: Int16, sequence: Int32, node: Int32
    ) {
        self.offset = offset
        self.timestamp = timestamp
        self.key = key
        self.value = value
        self.headers = headers
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.sequence = sequence
        self.node = node
    }
}
