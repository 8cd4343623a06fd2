import NIOCore

/// Produce request (API key 0): record batches to append, per topic and partition.
///
/// Versions: 3-13. 3 adds the transactional id and record format v2 (the only format this code writes);
/// 4-8 change only the errors and response; 9 is the first flexible version; 10-12 change only the
/// response and the errors it may carry; 13 names topics by id (``TopicProduceData/topicId``, from
/// Metadata v10+) instead of by name, and refuses a zero id: a producer that does not know topic ids must
/// stay at version 12. The ``PartitionProduceData/records`` are opaque bytes (whole
/// record batches), written with one copy into the output buffer.
public struct ProduceRequest: KafkaRequest {
    public typealias Response = ProduceResponse
    public static let apiKey = KafkaApiKey.produce
    public static let supportedVersions: ClosedRange<Int16> = 3...13
    public static let firstFlexibleVersion: Int16? = 9
    /// The first version that names topics by id rather than by name.
    public static let firstTopicIdVersion: Int16 = 13

    /// The batches for one partition.
    public struct PartitionProduceData: Hashable, Sendable {
        /// The partition index.
        public var index: Int32
        /// The record batches, concatenated, or `nil`.
        public var records: ByteBuffer?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(index: Int32 = 0, records: ByteBuffer? = nil, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.index = index
            self.records = records
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The partitions of one topic.
    public struct TopicProduceData: Hashable, Sendable {
        /// The topic name (v3-12).
        public var name: String
        /// The topic id (v13+); must not be zero there.
        public var topicId: KafkaUUID
        /// The partitions to append to.
        public var partitionData: [PartitionProduceData]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            name: String = "", topicId: KafkaUUID = .zero, partitionData: [PartitionProduceData] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.name = name
            self.topicId = topicId
            self.partitionData = partitionData
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The transactional id, or `nil` when the producer is not transactional.
    public var transactionalId: String?
    /// Acknowledgements required: 0 none (no response is sent), 1 the leader, -1 all in-sync replicas.
    public var acks: Int16
    /// How long the broker may wait for the acknowledgements, in milliseconds.
    public var timeoutMs: Int32
    /// The topics to produce to.
    public var topicData: [TopicProduceData]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        transactionalId: String? = nil, acks: Int16 = -1, timeoutMs: Int32 = 30_000, topicData: [TopicProduceData] = [],
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            buffer.writeKafkaNullableString(transactionalId, compact: flexible)
            buffer.writeInteger(acks)
            buffer.writeInteger(timeoutMs)
            try buffer.writeKafkaArray(topicData, compact: flexible) { buffer, topic in
                if version >= Self.firstTopicIdVersion {
                    guard topic.topicId != .zero else {
                        throw Self.notRepresentable("topic_data.topic_id", version: version, "version 13+ needs the topic's id")
                    }
                    buffer.writeKafkaUUID(topic.topicId)
                } else {
                    buffer.writeKafkaString(topic.name, compact: flexible)
                }
                try buffer.writeKafkaArray(topic.partitionData, compact: flexible) { buffer, partition in
                    buffer.writeInteger(partition.index)
                    buffer.writeKafkaNullableBytes(partition.records, compact: flexible)
                    try Self.writeTaggedFields(
                        [], unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible,
                        field: "topic_data.partition_data", version: version)
                }
                try Self.writeTaggedFields(
                    [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topic_data",
                    version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        transactionalId = try reader.nullableString("transactional_id", compact: flexible)
        acks = try reader.int16("acks")
        timeoutMs = try reader.int32("timeout_ms")
        topicData = try reader.boundedArray("topic_data", compact: flexible, minimumElementSize: 2) { reader in
            var topic = TopicProduceData()
            if version >= Self.firstTopicIdVersion {
                topic.topicId = try reader.uuid("topic_data.topic_id")
            } else {
                topic.name = try reader.string("topic_data.name", compact: flexible)
            }
            topic.partitionData = try reader.boundedArray(
                "topic_data.partition_data", compact: flexible, minimumElementSize: 5
            ) { reader in
                var partition = PartitionProduceData()
                partition.index = try reader.int32("partition_data.index")
                partition.records = try reader.nullableBytes("partition_data.records", compact: flexible)
                if flexible { partition.unknownTaggedFields = try reader.taggedFields("partition_data._tagged_fields") }
                return partition
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topic_data._tagged_fields") }
            return topic
        }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
