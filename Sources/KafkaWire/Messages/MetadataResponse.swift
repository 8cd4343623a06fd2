import NIOCore

/// Metadata response: the brokers, the controller, and for each topic its partitions with their leaders
/// and replicas.
///
/// Versions: 1-13. 1 adds racks, the controller id and `isInternal`; 2 the cluster id; 3 the throttle
/// time; 5 the offline replicas; 7 the leader epoch; 8 the authorized operations (the cluster one only in
/// 8-10); 9 is the first flexible version; 10 adds topic ids; 12 lets a topic name be null; 13 adds a
/// top-level error code.
public struct MetadataResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.metadata
    public static let supportedVersions: ClosedRange<Int16> = 1...13
    public static let firstFlexibleVersion: Int16? = 9

    /// The value of an authorized-operations field that was not requested.
    public static let authorizedOperationsOmitted = Int32.min

    /// One broker of the cluster: the same fields as the `NodeEndpoint` of Produce and Fetch responses.
    public typealias MetadataResponseBroker = KafkaNodeEndpoint

    /// One partition of a topic.
    public struct MetadataResponsePartition: Hashable, Sendable {
        /// The partition's error code, 0 if none.
        public var errorCode: Int16
        /// The partition index.
        public var partitionIndex: Int32
        /// The id of the leader broker (-1 when there is none).
        public var leaderId: Int32
        /// The leader epoch (v7+, -1 if unknown).
        public var leaderEpoch: Int32
        /// All replicas of the partition.
        public var replicaNodes: [Int32]
        /// The in-sync replicas.
        public var isrNodes: [Int32]
        /// The offline replicas (v5+).
        public var offlineReplicas: [Int32]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            errorCode: Int16 = 0, partitionIndex: Int32 = 0, leaderId: Int32 = -1, leaderEpoch: Int32 = -1,
            replicaNodes: [Int32] = [], isrNodes: [Int32] = [], offlineReplicas: [Int32] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The partition's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// One topic.
    public struct MetadataResponseTopic: Hashable, Sendable {
        /// The topic's error code, 0 if none.
        public var errorCode: Int16
        /// The topic name; `nil` only in v12+, for an unknown topic asked for by id.
        public var name: String?
        /// The topic id (v10+), zero if unknown.
        public var topicId: KafkaUUID
        /// Whether the topic is internal (v1+).
        public var isInternal: Bool
        /// The topic's partitions.
        public var partitions: [MetadataResponsePartition]
        /// Bit field of the operations the client may perform on the topic (v8+).
        public var topicAuthorizedOperations: Int32
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            errorCode: Int16 = 0, name: String? = "", topicId: KafkaUUID = .zero, isInternal: Bool = false,
            partitions: [MetadataResponsePartition] = [],
            topicAuthorizedOperations: Int32 = MetadataResponse.authorizedOperationsOmitted,
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.errorCode = errorCode
            self.name = name
            self.topicId = topicId
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The topic's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// Throttle time in milliseconds (v3+).
    public var throttleTimeMs: Int32
    /// The brokers of the cluster.
    public var brokers: [MetadataResponseBroker]
    /// The cluster id (v2+), or `nil`.
    public var clusterId: String?
    /// The controller's broker id (v1+), -1 if unknown.
    public var controllerId: Int32
    /// The topics.
    public var topics: [MetadataResponseTopic]
    /// Bit field of the operations the client may perform on the cluster (v8-10).
    public var clusterAuthorizedOperations: Int32
    /// The top-level error code (v13+).
    public var errorCode: Int16
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        throttleTimeMs: Int32 = 0, brokers: [MetadataResponseBroker] = [], clusterId: String? = nil,
        controllerId: Int32 = -1, topics: [MetadataResponseTopic] = [],
        clusterAuthorizedOperations: Int32 = MetadataResponse.authorizedOperationsOmitted, errorCode: Int16 = 0,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
        self.errorCode = errorCode
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The top-level error (v13+) as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            try encodeBody(into: &buffer, version: version)
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        if version >= 3 { buffer.writeInteger(throttleTimeMs) }
        try buffer.writeKafkaArray(brokers, compact: flexible) { buffer, broker in
            try Self.writeNode(broker, into: &buffer, flexible: flexible, field: "brokers", version: version)
        }
        if version >= 2 { buffer.writeKafkaNullableString(clusterId, compact: flexible) }
        buffer.writeInteger(controllerId)
        try buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeInteger(topic.errorCode)
            if version >= 12 {
                buffer.writeKafkaNullableString(topic.name, compact: flexible)
            } else {
                buffer.writeKafkaString(try Self.nonNull(topic.name, "topics.name", version: version), compact: flexible)
            }
            if version >= 10 { buffer.writeKafkaUUID(topic.topicId) }
            buffer.writeKafkaBool(topic.isInternal)
            try buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInteger(partition.errorCode)
                buffer.writeInteger(partition.partitionIndex)
                buffer.writeInteger(partition.leaderId)
                if version >= 7 { buffer.writeInteger(partition.leaderEpoch) }
                buffer.writeKafkaArray(partition.replicaNodes, compact: flexible) { $0.writeInteger($1) }
                buffer.writeKafkaArray(partition.isrNodes, compact: flexible) { $0.writeInteger($1) }
                if version >= 5 { buffer.writeKafkaArray(partition.offlineReplicas, compact: flexible) { $0.writeInteger($1) } }
                try Self.writeTaggedFields(
                    [], unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible,
                    field: "topics.partitions", version: version)
            }
            if version >= 8 { buffer.writeInteger(topic.topicAuthorizedOperations) }
            try Self.writeTaggedFields(
                [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
        }
        if (8...10).contains(version) { buffer.writeInteger(clusterAuthorizedOperations) }
        if version >= 13 { buffer.writeInteger(errorCode) }
        try Self.writeTaggedFields(
            [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        if version >= 3 { throttleTimeMs = try reader.int32("throttle_time_ms") }
        brokers = try reader.boundedArray("brokers", compact: flexible, minimumElementSize: 10) { reader in
            try reader.node("brokers", flexible: flexible)
        }
        if version >= 2 { clusterId = try reader.nullableString("cluster_id", compact: flexible) }
        controllerId = try reader.int32("controller_id")
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: version >= 10 ? 22 : 6) { reader in
            var topic = MetadataResponseTopic()
            topic.errorCode = try reader.int16("topics.error_code")
            topic.name = version >= 12
                ? try reader.nullableString("topics.name", compact: flexible)
                : try reader.string("topics.name", compact: flexible)
            if version >= 10 { topic.topicId = try reader.uuid("topics.topic_id") }
            topic.isInternal = try reader.bool("topics.is_internal")
            topic.partitions = try reader.boundedArray("topics.partitions", compact: flexible, minimumElementSize: 12) { reader in
                var partition = MetadataResponsePartition()
                partition.errorCode = try reader.int16("partitions.error_code")
                partition.partitionIndex = try reader.int32("partitions.partition_index")
                partition.leaderId = try reader.int32("partitions.leader_id")
                if version >= 7 { partition.leaderEpoch = try reader.int32("partitions.leader_epoch") }
                partition.replicaNodes = try reader.int32Array("partitions.replica_nodes", compact: flexible)
                partition.isrNodes = try reader.int32Array("partitions.isr_nodes", compact: flexible)
                if version >= 5 {
                    partition.offlineReplicas = try reader.int32Array("partitions.offline_replicas", compact: flexible)
                }
                if flexible { partition.unknownTaggedFields = try reader.taggedFields("partitions._tagged_fields") }
                return partition
            }
            if version >= 8 { topic.topicAuthorizedOperations = try reader.int32("topics.topic_authorized_operations") }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        if (8...10).contains(version) { clusterAuthorizedOperations = try reader.int32("cluster_authorized_operations") }
        if version >= 13 { errorCode = try reader.int16("error_code") }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
