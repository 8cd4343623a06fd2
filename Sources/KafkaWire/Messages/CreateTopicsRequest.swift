import NIOCore

/// CreateTopics request (API key 19): creates topics with a partition count and replication factor, or
/// an explicit replica assignment, and optional topic configs.
///
/// Versions: 0-7. 1 adds ``validateOnly``; 4 lets the partition count and replication factor be -1 (the
/// broker's defaults); 5 is the first flexible version; 6 and 7 change only the response and errors.
public struct CreateTopicsRequest: KafkaRequest {
    public typealias Response = CreateTopicsResponse
    public static let apiKey = KafkaApiKey.createTopics
    public static let supportedVersions: ClosedRange<Int16> = 0...7
    public static let firstFlexibleVersion: Int16? = 5

    /// The replicas of one partition, for a manual assignment.
    public struct CreatableReplicaAssignment: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The brokers to place the partition on.
        public var brokerIds: [Int32]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an assignment.
        public init(partitionIndex: Int32 = 0, brokerIds: [Int32] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A topic config to set (`retention.ms` ...).
    public struct CreatableTopicConfig: Hashable, Sendable {
        /// The config name.
        public var name: String
        /// The config value, or `nil`.
        public var value: String?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a config entry.
        public init(name: String = "", value: String? = nil, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.value = value
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// One topic to create.
    public struct CreatableTopic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The number of partitions, or -1 for the broker default or a manual assignment.
        public var numPartitions: Int32
        /// The replication factor, or -1 for the broker default or a manual assignment.
        public var replicationFactor: Int16
        /// A manual assignment, or empty.
        public var assignments: [CreatableReplicaAssignment]
        /// Topic configs to set.
        public var configs: [CreatableTopicConfig]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            name: String = "", numPartitions: Int32 = -1, replicationFactor: Int16 = -1,
            assignments: [CreatableReplicaAssignment] = [], configs: [CreatableTopicConfig] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The topics to create.
    public var topics: [CreatableTopic]
    /// How long to wait for the creation, in milliseconds.
    public var timeoutMs: Int32
    /// Check the request without creating anything (v1+).
    public var validateOnly: Bool
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        topics: [CreatableTopic] = [], timeoutMs: Int32 = 60_000, validateOnly: Bool = false,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            try buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
                buffer.writeKafkaString(topic.name, compact: flexible)
                buffer.writeInteger(topic.numPartitions)
                buffer.writeInteger(topic.replicationFactor)
                try buffer.writeKafkaArray(topic.assignments, compact: flexible) { buffer, assignment in
                    buffer.writeInteger(assignment.partitionIndex)
                    buffer.writeKafkaArray(assignment.brokerIds, compact: flexible) { $0.writeInteger($1) }
                    try Self.writeTaggedFields(
                        [], unknown: assignment.unknownTaggedFields, into: &buffer, flexible: flexible,
                        field: "topics.assignments", version: version)
                }
                try buffer.writeKafkaArray(topic.configs, compact: flexible) { buffer, config in
                    buffer.writeKafkaString(config.name, compact: flexible)
                    buffer.writeKafkaNullableString(config.value, compact: flexible)
                    try Self.writeTaggedFields(
                        [], unknown: config.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics.configs",
                        version: version)
                }
                try Self.writeTaggedFields(
                    [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
            }
            buffer.writeInteger(timeoutMs)
            if version >= 1 { buffer.writeKafkaBool(validateOnly) }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: 9) { reader in
            var topic = CreatableTopic()
            topic.name = try reader.string("topics.name", compact: flexible)
            topic.numPartitions = try reader.int32("topics.num_partitions")
            topic.replicationFactor = try reader.int16("topics.replication_factor")
            topic.assignments = try reader.boundedArray("topics.assignments", compact: flexible, minimumElementSize: 5) { reader in
                CreatableReplicaAssignment(
                    partitionIndex: try reader.int32("assignments.partition_index"),
                    brokerIds: try reader.int32Array("assignments.broker_ids", compact: flexible),
                    unknownTaggedFields: flexible ? try reader.taggedFields("assignments._tagged_fields") : [])
            }
            topic.configs = try reader.boundedArray("topics.configs", compact: flexible, minimumElementSize: 2) { reader in
                CreatableTopicConfig(
                    name: try reader.string("configs.name", compact: flexible),
                    value: try reader.nullableString("configs.value", compact: flexible),
                    unknownTaggedFields: flexible ? try reader.taggedFields("configs._tagged_fields") : [])
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        timeoutMs = try reader.int32("timeout_ms")
        if version >= 1 { validateOnly = try reader.bool("validate_only") }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
