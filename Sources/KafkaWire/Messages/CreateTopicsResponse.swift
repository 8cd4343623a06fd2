import NIOCore

/// CreateTopics response: per topic, an error code (TOPIC_ALREADY_EXISTS, 36, is the common one) and,
/// from version 5, the topic's partition count, replication factor and configs.
///
/// Versions: 0-7. 1 adds the error message; 2 the throttle time; 5 is the first flexible version and adds
/// the topic's settings and the tagged ``CreatableTopicResult/topicConfigErrorCode``; 7 the topic id.
public struct CreateTopicsResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.createTopics
    public static let supportedVersions: ClosedRange<Int16> = 0...7
    public static let firstFlexibleVersion: Int16? = 5

    /// One config of a created topic (v5+).
    public struct CreatableTopicConfigs: Hashable, Sendable {
        /// The config name.
        public var name: String
        /// The config value, or `nil`.
        public var value: String?
        /// Whether the config is read-only.
        public var readOnly: Bool
        /// Where the value comes from (Kafka's `ConfigSource`), -1 if unknown.
        public var configSource: Int8
        /// Whether the config is sensitive.
        public var isSensitive: Bool
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a config entry.
        public init(
            name: String = "", value: String? = nil, readOnly: Bool = false, configSource: Int8 = -1,
            isSensitive: Bool = false, unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The outcome for one topic.
    public struct CreatableTopicResult: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The topic id (v7+), zero if unknown.
        public var topicId: KafkaUUID
        /// The error code, 0 if the topic was created.
        public var errorCode: Int16
        /// The error message (v1+), or `nil`.
        public var errorMessage: String?
        /// The error that kept the configs out of the response (v5+, tag 0); 0 is not written.
        public var topicConfigErrorCode: Int16
        /// The number of partitions (v5+), -1 if unknown.
        public var numPartitions: Int32
        /// The replication factor (v5+), -1 if unknown.
        public var replicationFactor: Int16
        /// The topic's configs (v5+), or `nil`.
        public var configs: [CreatableTopicConfigs]?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            name: String = "", topicId: KafkaUUID = .zero, errorCode: Int16 = 0, errorMessage: String? = nil,
            topicConfigErrorCode: Int16 = 0, numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
            configs: [CreatableTopicConfigs]? = [], unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.topicConfigErrorCode = topicConfigErrorCode
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The topic's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// Throttle time in milliseconds (v2+).
    public var throttleTimeMs: Int32
    /// The outcome per topic.
    public var topics: [CreatableTopicResult]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(throttleTimeMs: Int32 = 0, topics: [CreatableTopicResult] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            if version >= 2 { buffer.writeInteger(throttleTimeMs) }
            try buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
                try Self.encodeTopic(topic, into: &buffer, version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    private static func encodeTopic(_ topic: CreatableTopicResult, into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = isFlexible(version)
        buffer.writeKafkaString(topic.name, compact: flexible)
        if version >= 7 { buffer.writeKafkaUUID(topic.topicId) }
        buffer.writeInteger(topic.errorCode)
        if version >= 1 { buffer.writeKafkaNullableString(topic.errorMessage, compact: flexible) }
        var known: [KafkaTaggedField] = []
        if version >= 5 {
            buffer.writeInteger(topic.numPartitions)
            buffer.writeInteger(topic.replicationFactor)
            try buffer.writeKafkaNullableArray(topic.configs, compact: true) { buffer, config in
                buffer.writeKafkaString(config.name, compact: true)
                buffer.writeKafkaNullableString(config.value, compact: true)
                buffer.writeKafkaBool(config.readOnly)
                buffer.writeInteger(config.configSource)
                buffer.writeKafkaBool(config.isSensitive)
                try writeTaggedFields(
                    [], unknown: config.unknownTaggedFields, into: &buffer, flexible: true, field: "topics.configs",
                    version: version)
            }
            if topic.topicConfigErrorCode != 0 {
                known.append(KafkaTaggedField(tag: 0) { $0.writeInteger(topic.topicConfigErrorCode) })
            }
        }
        try writeTaggedFields(
            known, unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        if version >= 2 { throttleTimeMs = try reader.int32("throttle_time_ms") }
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: 3) { reader in
            try Self.decodeTopic(from: &reader, version: version)
        }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }

    private static func decodeTopic(from reader: inout KafkaReader, version: Int16) throws -> CreatableTopicResult {
        let flexible = isFlexible(version)
        var topic = CreatableTopicResult()
        topic.name = try reader.string("topics.name", compact: flexible)
        if version >= 7 { topic.topicId = try reader.uuid("topics.topic_id") }
        topic.errorCode = try reader.int16("topics.error_code")
        if version >= 1 { topic.errorMessage = try reader.nullableString("topics.error_message", compact: flexible) }
        guard version >= 5 else { return topic }
        topic.numPartitions = try reader.int32("topics.num_partitions")
        topic.replicationFactor = try reader.int16("topics.replication_factor")
        topic.configs = try reader.boundedNullableArray("topics.configs", compact: true, minimumElementSize: 6) { reader in
            CreatableTopicConfigs(
                name: try reader.string("configs.name", compact: true),
                value: try reader.nullableString("configs.value", compact: true),
                readOnly: try reader.bool("configs.read_only"),
                configSource: try reader.int8("configs.config_source"),
                isSensitive: try reader.bool("configs.is_sensitive"),
                unknownTaggedFields: try reader.taggedFields("configs._tagged_fields"))
        }
        for field in try reader.taggedFields("topics._tagged_fields") {
            switch field.tag {
            case 0:
                topic.topicConfigErrorCode = try reader.decodeTagged(field, "topics.topic_config_error_code") {
                    try $0.int16("topic_config_error_code")
                }
            default:
                topic.unknownTaggedFields.append(field)
            }
        }
        return topic
    }
}
