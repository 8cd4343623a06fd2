import NIOCore

/// ListOffsets request (API key 2): asks, per partition, for the offset matching a timestamp, or for the
/// end (``latestTimestamp``) or start (``earliestTimestamp``) of the log.
///
/// Versions: 1-11. 2 adds the isolation level; 4 the current leader epoch; 6 is the first flexible
/// version; 7-9 add special timestamps (max timestamp, local log start, last tiered offset); 10 adds
/// ``timeoutMs`` (for lookups in tiered storage); 11 another special timestamp (earliest pending upload).
public struct ListOffsetsRequest: KafkaRequest {
    public typealias Response = ListOffsetsResponse
    public static let apiKey = KafkaApiKey.listOffsets
    public static let supportedVersions: ClosedRange<Int16> = 1...11
    public static let firstFlexibleVersion: Int16? = 6

    /// The timestamp that asks for the next offset to be written (the end of the log).
    public static let latestTimestamp: Int64 = -1
    /// The timestamp that asks for the first offset of the log.
    public static let earliestTimestamp: Int64 = -2

    /// One partition to look up.
    public struct ListOffsetsPartition: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The current leader epoch (v4+), -1 if unknown.
        public var currentLeaderEpoch: Int32
        /// The timestamp to look up, or one of the special values (-1 latest, -2 earliest ...).
        public var timestamp: Int64
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            partitionIndex: Int32 = 0, currentLeaderEpoch: Int32 = -1, timestamp: Int64 = ListOffsetsRequest.latestTimestamp,
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The partitions of one topic.
    public struct ListOffsetsTopic: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The partitions to look up.
        public var partitions: [ListOffsetsPartition]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(name: String = "", partitions: [ListOffsetsPartition] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.partitions = partitions
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The requester's broker id, -1 for a client.
    public var replicaId: Int32
    /// 0 read uncommitted, 1 read committed (v2+).
    public var isolationLevel: Int8
    /// The topics to look up.
    public var topics: [ListOffsetsTopic]
    /// How long the broker may spend on lookups in remote (tiered) storage, in milliseconds (v10+). The
    /// schema gives no default; this code uses 30 s, a client's usual request timeout.
    public var timeoutMs: Int32
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        replicaId: Int32 = -1, isolationLevel: Int8 = 0, topics: [ListOffsetsTopic] = [], timeoutMs: Int32 = 30_000,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            buffer.writeInteger(replicaId)
            if version >= 2 { buffer.writeInteger(isolationLevel) }
            try buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
                buffer.writeKafkaString(topic.name, compact: flexible)
                try buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                    buffer.writeInteger(partition.partitionIndex)
                    if version >= 4 { buffer.writeInteger(partition.currentLeaderEpoch) }
                    buffer.writeInteger(partition.timestamp)
                    try Self.writeTaggedFields(
                        [], unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible,
                        field: "topics.partitions", version: version)
                }
                try Self.writeTaggedFields(
                    [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
            }
            if version >= 10 { buffer.writeInteger(timeoutMs) }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        replicaId = try reader.int32("replica_id")
        if version >= 2 { isolationLevel = try reader.int8("isolation_level") }
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: 2) { reader in
            var topic = ListOffsetsTopic()
            topic.name = try reader.string("topics.name", compact: flexible)
            topic.partitions = try reader.boundedArray("topics.partitions", compact: flexible, minimumElementSize: 12) { reader in
                var partition = ListOffsetsPartition()
                partition.partitionIndex = try reader.int32("partitions.partition_index")
                if version >= 4 { partition.currentLeaderEpoch = try reader.int32("partitions.current_leader_epoch") }
                partition.timestamp = try reader.int64("partitions.timestamp")
                if flexible { partition.unknownTaggedFields = try reader.taggedFields("partitions._tagged_fields") }
                return partition
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        if version >= 10 { timeoutMs = try reader.int32("timeout_ms") }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
