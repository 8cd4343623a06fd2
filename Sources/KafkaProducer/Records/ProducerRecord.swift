import KafkaWire

/// A record to send: topic, optional partition, key, value, headers and timestamp.
public struct ProducerRecord: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// An explicit partition; `nil` lets the partitioner choose (murmur2 of the key, or sticky when keyless).
    public var partition: Int32?
    /// The key; `nil` is a null key.
    public var key: [UInt8]?
    /// The value; `nil` is a null value.
    public var value: [UInt8]?
    /// Headers, in order.
    public var headers: [RecordHeader]
    /// The create time in milliseconds since the epoch; `nil` = now.
    public var timestamp: Int64?
    /// The serializer whose type the key was given as (set by the typed initializers; nil for raw bytes,
    /// which any serializer takes). `send` refuses a record that does not match `key.serializer`.
    public var keyType: RecordSerializer?
    /// The same for the value and `value.serializer`.
    public var valueType: RecordSerializer?

    /// Makes a record.
    public init(
        topic: String, partition: Int32? = nil, key: [UInt8]? = nil, value: [UInt8]?, headers: [RecordHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.key = key
        self.value = value
        self.headers = headers
        self.timestamp = timestamp
    }

    /// Makes a record from strings (UTF-8), as Java's `new ProducerRecord<>(topic, key, value)` with
    /// `StringSerializer`.
    public init(topic: String, key: String?, value: String) {
        self.init(topic: topic, key: key.map { Array($0.utf8) }, value: Array(value.utf8))
        keyType = .string
        valueType = .string
    }

    /// Makes a record from any ``KafkaSerializable`` key and value (`String`, `[UInt8]`, `ByteBuffer`): what
    /// `key.serializer` and `value.serializer` name.
    public init<Key: KafkaSerializable, Value: KafkaSerializable>(
        topic: String, partition: Int32? = nil, key: Key?, value: Value?, headers: [RecordHeader] = [],
        timestamp: Int64? = nil
    ) {
        self.init(
            topic: topic, partition: partition, key: key?.kafkaBytes, value: value?.kafkaBytes, headers: headers,
            timestamp: timestamp)
        keyType = Key.kafkaSerializer
        valueType = Value.kafkaSerializer
    }
}

/// Where a record landed: topic, partition, offset and timestamp.
public struct RecordMetadata: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The record's offset, or -1 when the broker did not say (acks=0, or a duplicate the broker had).
    public var offset: Int64
    /// The record's timestamp (the broker's when the topic uses log append time).
    public var timestamp: Int64

    /// Makes metadata.
    public init(topic: String, partition: Int32, offset: Int64, timestamp: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.timestamp = timestamp
    }
}

/// The outcome of one batch, reported once, to the delivery handler: which records (by the tokens they
/// were sent with, in offset order) reached which topic, partition and offsets, or why they did not.
public struct DeliveryReport: Sendable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// Offset of the first record (`-1` when unknown: acks=0 or a duplicate the broker already had).
    public var baseOffset: Int64
    /// The tokens given to `send`, one per record, in the order of their offsets.
    public var tokens: [UInt64]
    /// Timestamps of the records (create time, or the broker's log append time when it reports one).
    public var logAppendTime: Int64
    /// `nil` on success; why the records were not delivered otherwise.
    public var error: ProducerError?

    /// Makes a report.
    public init(topic: String, partition: Int32, baseOffset: Int64, tokens: [UInt64], logAppendTime: Int64, error: ProducerError?) {
        self.topic = topic
        self.partition = partition
        self.baseOffset = baseOffset
        self.tokens = tokens
        self.logAppendTime = logAppendTime
        self.error = error
    }
}
