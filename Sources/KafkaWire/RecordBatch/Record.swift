/// One record of a v2 record batch, as decoded: offsets and timestamps are deltas from the batch's base.
public struct Record: Hashable, Sendable {
    /// Record attributes (unused by Kafka so far; always 0 when we write).
    public var attributes: Int8
    /// Timestamp minus the batch's base timestamp.
    public var timestampDelta: Int64
    /// Offset minus the batch's base offset (the record's index in the batch when we write).
    public var offsetDelta: Int32
    /// The key; `nil` is a null key.
    public var key: [UInt8]?
    /// The value; `nil` is a null value (a tombstone).
    public var value: [UInt8]?
    /// The headers, in order.
    public var headers: [RecordHeader]

    /// Makes a record.
    public init(
        attributes: Int8 = 0, timestampDelta: Int64 = 0, offsetDelta: Int32, key: [UInt8]? = nil, value: [UInt8]?,
        headers: [RecordHeader] = []
    ) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// The size of the record's body (everything after its length varint).
    public var bodySize: Int {
        Record.bodySize(
            timestampDelta: timestampDelta, offsetDelta: offsetDelta, keyLength: key?.count ?? -1,
            valueLength: value?.count ?? -1, headerCount: headers.count,
            headersSize: headers.reduce(0) { $0 + $1.encodedSize })
    }

    /// The size of a record's body from its parts; `keyLength`/`valueLength` are -1 for null.
    @inlinable
    public static func bodySize(
        timestampDelta: Int64, offsetDelta: Int32, keyLength: Int, valueLength: Int, headerCount: Int, headersSize: Int
    ) -> Int {
        1 + KafkaVarint.size(signed: timestampDelta) + KafkaVarint.size(signed: Int64(offsetDelta))
            + KafkaVarint.size(signed: Int64(keyLength)) + max(keyLength, 0)
            + KafkaVarint.size(signed: Int64(valueLength)) + max(valueLength, 0)
            + KafkaVarint.size(signed: Int64(headerCount)) + headersSize
    }
}
