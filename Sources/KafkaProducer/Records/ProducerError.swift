import KafkaWire

/// Why a record was not delivered, or a call could not be served. Broker errors name the topic, partition
/// and Kafka error code.
public struct ProducerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure, stable for callers to switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The short name.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// `send` waited `max.block.ms` for buffer space.
        public static let bufferExhausted = Code("buffer_exhausted")
        /// `send` waited `max.block.ms` for the topic's metadata (the topic may not exist).
        public static let metadataTimeout = Code("metadata_timeout")
        /// A single record is larger than `max.request.size` (or the broker's limit).
        public static let recordTooLarge = Code("record_too_large")
        /// The broker answered with a non-retriable error (see ``kafkaError``).
        public static let brokerError = Code("broker_error")
        /// The batch waited `delivery.timeout.ms` without ever possibly being written.
        public static let deliveryTimeout = Code("delivery_timeout")
        /// `retries` attempts failed with retriable errors, and none of them may have written the batch.
        public static let retriesExhausted = Code("retries_exhausted")
        /// The producer was closed with records whose outcome is unknown: they may or may not be in Kafka.
        public static let outcomeUnknown = Code("outcome_unknown")
        /// The producer is closed (or closing) and takes no more records.
        public static let closed = Code("closed")
        /// The partition does not exist in the topic.
        public static let invalidPartition = Code("invalid_partition")
        /// The producer id was fenced or lost in a way that cannot be repaired.
        public static let fatalIdempotence = Code("fatal_idempotence")
        /// The batch could not be compressed (memory exhausted, or a codec error): its records were not sent.
        public static let compressionFailed = Code("compression_failed")
        /// The record's key or value is not of the type `key.serializer` or `value.serializer` names.
        public static let serializationError = Code("serialization_error")
        /// The TLS settings cannot be used (an unreadable or malformed certificate or key, a wrong key password).
        public static let tlsSetupFailed = Code("tls_setup_failed")
        /// Internal: the async `send` must wait (it suspends, then tries again); never reaches a caller.
        static let wouldBlock = Code("would_block")

        /// The short name (`buffer_exhausted`).
        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The topic, when the failure concerns one.
    public var topic: String?
    /// The partition, when the failure concerns one.
    public var partition: Int32?
    /// The Kafka error code the broker returned, if any.
    public var kafkaError: KafkaErrorCode?
    /// A sentence for people.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, topic: String? = nil, partition: Int32? = nil, kafkaError: KafkaErrorCode? = nil, _ message: String) {
        self.code = code
        self.topic = topic
        self.partition = partition
        self.kafkaError = kafkaError
        self.message = message
    }

    /// `producer error [code] topic-partition KAFKA_CODE (n): message`.
    public var description: String {
        var text = "producer error [\(code)]"
        if let topic {
            text += " \(topic)"
            if let partition { text += "-\(partition)" }
        }
        if let kafkaError { text += " \(kafkaError)" }
        return text + ": \(message)"
    }
}
