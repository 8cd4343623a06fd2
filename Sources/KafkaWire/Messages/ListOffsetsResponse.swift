import NIOCore

/// ListOffsets response: per partition, the offset found and its timestamp.
///
/// Versions: 1-11. 2 adds the throttle time; 4 the leader epoch; 6 is the first flexible version; 7-11
/// only add special timestamps to the request.
public struct ListOffsetsResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.listOffsets
    public static let supportedVersions: ClosedRange<Int16> = 1...11
    public static let firstFlexibleVersion: Int16? = 6

    /// The answer for one partition.
    public struct ListOffsetsPartitionResponse: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The error code, 0 if none.
        public var errorCode: Int16
        /// The timestamp of the offset found, -1 if none.
        public var timestamp: Int64
        /// The offset found, -1 if none.
        public var offset: Int64
        /// The leader epoch of the offset found (v4+), -1 if unknown.
        public var leaderEpoch: Int32
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            partitionIndex: Int32 = 0, errorCode: Int16 = 0, timestamp: Int64 = -1, offset: Int64 = -1,
            leaderEpoch: Int32 = -1, unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The partition's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// The answers for one topic.
    public struct ListOffsetsTopicResponse: Hashable, Sendable {
        /// The topic name.
        public var name: String
        /// The answers per partition.
        public var partitions: [ListOffsetsPartitionResponse]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(name: String = "", partitions: [ListOffsetsPartitionResponse] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.partitions = partitions
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// Throttle time in milliseconds (v2+).
    public var throttleTimeMs: Int32
    /// The answers per topic.
    public var topics: [ListOffsetsTopicResponse]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(throttleTimeMs: Int32 = 0, topics: [ListOffsetsTopicResponse] = [], unknownTaggedFields: [KafkaTaggedField] = []) {
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
                buffer.writeKafkaString(topic.name, compact: flexible)
                try buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                    buffer.writeInteger(partition.partitionIndex)
                    buffer.writeInteger(partition.errorCode)
                    buffer.writeInteger(partition.timestamp)
                    buffer.writeInteger(partition.offset)
                    if version >= 4 { buffer.writeInteger(partition.leaderEpoch) }
                    try Self.writeTaggedFields(
                        [], unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible,
                        field: "topics.partitions", version: version)
                }
                try Self.writeTaggedFields(
                    [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        if version >= 2 { throttleTimeMs = try reader.int32("throttle_time_ms") }
        topics = try reader.boundedArray("topics", compact: flexible, minimumElementSize: 2) { reader in
            var topic = ListOffsetsTopicResponse()
            topic.name = try reader.string("topics.name", compact: flexible)
            topic.partitions = try reader.boundedArray("topics.partitions", compact: flexible, minimumElementSize: 22) { reader in
                var partition = ListOffsetsPartitionResponse()
                partition.partitionIndex = try reader.int32("partitions.partition_index")
                partition.errorCode = try reader.int16("partitions.error_code")
                partition.timestamp = try reader.int64("partitions.timestamp")
                partition.offset = try reader.int64("partitions.offset")
                if version >= 4 { partition.leaderEpoch = try reader.int32("partitions.leader_epoch") }
                if flexible { partition.unknownTaggedFields = try reader.taggedFields("partitions._tagged_fields") }
                return partition
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
