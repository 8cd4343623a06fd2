import NIOCore

/// Fetch request (API key 1): reads record batches from partitions, from a given offset.
///
/// Versions: 4-18. 5 adds the log start offset; 7 fetch sessions and forgotten topics; 9 the current
/// leader epoch; 11 the rack id; 12 is the first flexible version and adds the last fetched epoch and
/// the tagged cluster id; 13 replaces topic names with topic ids; 15 replaces the replica id with the
/// tagged replica state; 17 adds the tagged replica directory id; 18 the tagged high watermark a follower
/// knows. A client (not a follower broker)
/// leaves the replica fields at their defaults.
public struct FetchRequest: KafkaRequest {
    public typealias Response = FetchResponse
    public static let apiKey = KafkaApiKey.fetch
    public static let supportedVersions: ClosedRange<Int16> = 4...18
    public static let firstFlexibleVersion: Int16? = 12

    /// The follower's identity (tagged field 1, v15+); a client leaves the defaults, which are not written.
    public struct ReplicaState: Hashable, Sendable {
        /// The follower's broker id, -1 for a client.
        public var replicaId: Int32
        /// The follower's epoch, -1 if unknown.
        public var replicaEpoch: Int64
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a value.
        public init(replicaId: Int32 = -1, replicaEpoch: Int64 = -1, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.replicaId = replicaId
            self.replicaEpoch = replicaEpoch
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// One partition to read.
    public struct FetchPartition: Hashable, Sendable {
        /// The partition index.
        public var partition: Int32
        /// The current leader epoch (v9+), -1 if unknown.
        public var currentLeaderEpoch: Int32
        /// The offset to read from.
        public var fetchOffset: Int64
        /// The epoch of the last record fetched (v12+), -1 if none.
        public var lastFetchedEpoch: Int32
        /// The follower's log start offset (v5+), -1 for a client.
        public var logStartOffset: Int64
        /// The most bytes to return for this partition.
        public var partitionMaxBytes: Int32
        /// The follower's log directory (v17+, tag 0); zero is not written.
        public var replicaDirectoryId: KafkaUUID
        /// The high watermark the follower knows (v18+, tag 1): -1 if unknown, `Int64.max` (not written) if
        /// the follower does not support the feature.
        public var highWatermark: Int64
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            partition: Int32 = 0, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64 = 0, lastFetchedEpoch: Int32 = -1,
            logStartOffset: Int64 = -1, partitionMaxBytes: Int32 = 1_048_576, replicaDirectoryId: KafkaUUID = .zero,
            highWatermark: Int64 = .max, unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
            self.replicaDirectoryId = replicaDirectoryId
            self.highWatermark = highWatermark
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The partitions of one topic.
    public struct FetchTopic: Hashable, Sendable {
        /// The topic name (v4-12).
        public var topic: String
        /// The topic id (v13+).
        public var topicId: KafkaUUID
        /// The partitions to read.
        public var partitions: [FetchPartition]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            topic: String = "", topicId: KafkaUUID = .zero, partitions: [FetchPartition] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// Partitions to drop from an incremental fetch session (v7+).
    public struct ForgottenTopic: Hashable, Sendable {
        /// The topic name (v7-12).
        public var topic: String
        /// The topic id (v13+).
        public var topicId: KafkaUUID
        /// The partitions to forget.
        public var partitions: [Int32]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(topic: String = "", topicId: KafkaUUID = .zero, partitions: [Int32] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The cluster id if known (v12+, tag 0); `nil` is not written.
    public var clusterId: String?
    /// The follower's broker id, -1 for a client (v4-14).
    public var replicaId: Int32
    /// The follower's identity (v15+, tag 1).
    public var replicaState: ReplicaState
    /// How long the broker may wait for ``minBytes``, in milliseconds.
    public var maxWaitMs: Int32
    /// The fewest bytes to return (the broker waits up to ``maxWaitMs`` for them).
    public var minBytes: Int32
    /// The most bytes to return in total.
    public var maxBytes: Int32
    /// 0 read uncommitted, 1 read committed.
    public var isolationLevel: Int8
    /// The fetch session id (v7+), 0 for none.
    public var sessionId: Int32
    /// The fetch session epoch (v7+), -1 for a full fetch outside a session.
    public var sessionEpoch: Int32
    /// The topics to read.
    public var topics: [FetchTopic]
    /// Partitions to drop from the session (v7+).
    public var forgottenTopicsData: [ForgottenTopic]
    /// The consumer's rack (v11+).
    public var rackId: String
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        clusterId: String? = nil, replicaId: Int32 = -1, replicaState: ReplicaState = ReplicaState(), maxWaitMs: Int32 = 500,
        minBytes: Int32 = 1, maxBytes: Int32 = 0x7fff_ffff, isolationLevel: Int8 = 0, sessionId: Int32 = 0,
        sessionEpoch: Int32 = -1, topics: [FetchTopic] = [], forgottenTopicsData: [ForgottenTopic] = [], rackId: String = "",
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.clusterId = clusterId
        self.replicaId = replicaId
        self.replicaState = replicaState
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackId = rackId
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            try encodeBody(into: &buffer, version: version)
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        if version <= 14 { buffer.writeInteger(replicaId) }
        buffer.writeInteger(maxWaitMs)
        buffer.writeInteger(minBytes)
        buffer.writeInteger(maxBytes)
        buffer.writeInteger(isolationLevel)
        if version >= 7 {
            buffer.writeInteger(sessionId)
            buffer.writeInteger(sessionEpoch)
        }
        try buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            if version >= 13 {
                buffer.writeKafkaUUID(topic.topicId)
            } else {
                buffer.writeKafkaString(topic.topic, compact: flexible)
            }
            try buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                try Self.encodePartition(partition, into: &buffer, version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
        }
        if version >= 7 {
            try buffer.writeKafkaArray(forgottenTopicsData, compact: flexible) { buffer, forgotten in
                if version >= 13 {
                    buffer.writeKafkaUUID(forgotten.topicId)
                } else {
                    buffer.writeKafkaString(forgotten.topic, compact: flexible)
                }
                buffer.writeKafkaArray(forgotten.partitions, compact: flexible) { $0.writeInteger($1) }
                try Self.writeTaggedFields(
                    [], unknown: forgotten.unknownTaggedFields, into: &buffer, flexible: flexible,
                    field: "forgotten_topics_data", version: version)
            }
        }
        if version >= 11 { buffer.writeKafkaString(rackId, compact: flexible) }
        var known: [KafkaTaggedField] = []
        if flexible, let clusterId {
            known.append(KafkaTaggedField(tag: 0) { $0.writeKafkaNullableString(clusterId, compact: true) })
        }
        if version >= 15, replicaState != ReplicaState() {
            known.append(try KafkaTaggedField(tag: 1) { buffer in
                buffer.writeInteger(replicaState.replicaId)
                buffer.writeInteger(replicaState.replicaEpoch)
                try Self.writeTaggedFields(
                    [], unknown: replicaState.unknownTaggedFields, into: &buffer, flexible: true, field: "replica_state",
                    version: version)
            })
        }
        try Self.writeTaggedFields(
            known, unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
    }

    private static func encodePartition(_ partition: FetchPartition, into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = isFlexible(version)
        buffer.writeInteger(partition.partition)
        if version >= 9 { buffer.writeInteger(partition.currentLeaderEpoch) }
        buffer.writeInteger(partition.fetchOffset)
        if version >= 12 { buffer.writeInteger(partition.lastFetchedEpoch) }
        if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
        buffer.writeInteger(partition.partitionMaxBytes)
        var known: [KafkaTaggedField] = []
        if version >= 17, partition.replicaDirectoryId != .zero {
            known.append(KafkaTaggedField(tag: 0) { $0.writeKafkaUUID(partition.replicaDirectoryId) })
        }
        if version >= 18, partition.highWatermark != .max {
            known.append(KafkaTaggedField(tag: 1) { $0.writeInteger(partition.highWatermark) })
        }
        try writeTaggedFields(
            known, unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics.partitions",
            version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        if version <= 14 { replicaId = try reader.int32("replica_id") }
        maxWaitMs = try reader.int32("max_wait_ms")
        minBytes = try reader.int32("min_bytes")
        maxBytes = try reader.int32("max_bytes")
        isolationLevel = try reader.int8("isolation_level")
        if version >= 7 {
            sessionId = try reader.int32("session_id")
            sessionEpoch = try reader.int32("session_epoch")
        }
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: 2) { reader in
            var topic = FetchTopic()
            if version >= 13 {
                topic.topicId = try reader.uuid("topics.topic_id")
            } else {
                topic.topic = try reader.string("topics.topic", compact: flexible)
            }
            topic.partitions = try reader.boundedArray("topics.partitions", compact: flexible, minimumElementSize: 16) { reader in
                try Self.decodePartition(from: &reader, version: version)
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        if version >= 7 {
            forgottenTopicsData = try reader.boundedArray("forgotten_topics_data", compact: flexible, minimumElementSize: 2) { reader in
                var forgotten = ForgottenTopic()
                if version >= 13 {
                    forgotten.topicId = try reader.uuid("forgotten_topics_data.topic_id")
                } else {
                    forgotten.topic = try reader.string("forgotten_topics_data.topic", compact: flexible)
                }
                forgotten.partitions = try reader.int32Array("forgotten_topics_data.partitions", compact: flexible)
                if flexible { forgotten.unknownTaggedFields = try reader.taggedFields("forgotten_topics_data._tagged_fields") }
                return forgotten
            }
        }
        if version >= 11 { rackId = try reader.string("rack_id", compact: flexible) }
        guard flexible else { return }
        for field in try reader.taggedFields() {
            switch field.tag {
            case 0:
                clusterId = try reader.decodeTagged(field, "cluster_id") { try $0.nullableString("cluster_id", compact: true) }
            case 1 where version >= 15:
                replicaState = try reader.decodeTagged(field, "replica_state") { reader in
                    ReplicaState(
                        replicaId: try reader.int32("replica_state.replica_id"),
                        replicaEpoch: try reader.int64("replica_state.replica_epoch"),
                        unknownTaggedFields: try reader.taggedFields("replica_state._tagged_fields"))
                }
            default:
                unknownTaggedFields.append(field)
            }
        }
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> FetchPartition {
        let flexible = isFlexible(version)
        var partition = FetchPartition()
        partition.partition = try reader.int32("partitions.partition")
        if version >= 9 { partition.currentLeaderEpoch = try reader.int32("partitions.current_leader_epoch") }
        partition.fetchOffset = try reader.int64("partitions.fetch_offset")
        if version >= 12 { partition.lastFetchedEpoch = try reader.int32("partitions.last_fetched_epoch") }
        if version >= 5 { partition.logStartOffset = try reader.int64("partitions.log_start_offset") }
        partition.partitionMaxBytes = try reader.int32("partitions.partition_max_bytes")
        guard flexible else { return partition }
        for field in try reader.taggedFields("partitions._tagged_fields") {
            switch field.tag {
            case 0 where version >= 17:
                partition.replicaDirectoryId = try reader.decodeTagged(field, "partitions.replica_directory_id") {
                    try $0.uuid("replica_directory_id")
                }
            case 1 where version >= 18:
                partition.highWatermark = try reader.decodeTagged(field, "partitions.high_watermark") {
                    try $0.int64("high_watermark")
                }
            default:
                partition.unknownTaggedFields.append(field)
            }
        }
        return partition
    }
}
