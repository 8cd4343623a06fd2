import NIOCore

/// Produce response: per partition, the error code and the offset given to the first record appended.
///
/// Versions: 3-13. 5 adds the log start offset; 8 the per-record errors and an error message; 9 is the
/// first flexible version; 10 adds the tagged ``PartitionProduceResponse/currentLeader`` and
/// ``nodeEndpoints`` (where to go after NOT_LEADER_OR_FOLLOWER); 11-12 only add error codes; 13 names
/// topics by id.
public struct ProduceResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.produce
    public static let supportedVersions: ClosedRange<Int16> = 3...13
    public static let firstFlexibleVersion: Int16? = 9

    /// A record that made the broker drop the whole batch (v8+).
    public struct BatchIndexAndErrorMessage: Hashable, Sendable {
        /// The index of the record inside its batch.
        public var batchIndex: Int32
        /// Why the record was rejected, or `nil`.
        public var batchIndexErrorMessage: String?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(batchIndex: Int32 = 0, batchIndexErrorMessage: String? = nil, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.batchIndex = batchIndex
            self.batchIndexErrorMessage = batchIndexErrorMessage
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The leader a partition moved to (see ``KafkaLeaderIdAndEpoch``).
    public typealias LeaderIdAndEpoch = KafkaLeaderIdAndEpoch

    /// The outcome for one partition.
    public struct PartitionProduceResponse: Hashable, Sendable {
        /// The partition index.
        public var index: Int32
        /// The error code, 0 if the batches were appended.
        public var errorCode: Int16
        /// The offset of the first record appended.
        public var baseOffset: Int64
        /// The broker's append time when the topic uses LogAppendTime, else -1.
        public var logAppendTimeMs: Int64
        /// The partition's log start offset (v5+), -1 if unknown.
        public var logStartOffset: Int64
        /// Records that made the broker drop the batch (v8+).
        public var recordErrors: [BatchIndexAndErrorMessage]
        /// A message summing up the error (v8+), or `nil`.
        public var errorMessage: String?
        /// The partition's current leader (v10+, tag 0); the default (-1, -1) is not written.
        public var currentLeader: LeaderIdAndEpoch
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            index: Int32 = 0, errorCode: Int16 = 0, baseOffset: Int64 = 0, logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64 = -1, recordErrors: [BatchIndexAndErrorMessage] = [], errorMessage: String? = nil,
            currentLeader: LeaderIdAndEpoch = LeaderIdAndEpoch(), unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
            self.currentLeader = currentLeader
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The partition's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// The outcome for one topic.
    public struct TopicProduceResponse: Hashable, Sendable {
        /// The topic name (v3-12).
        public var name: String
        /// The topic id (v13+).
        public var topicId: KafkaUUID
        /// The outcome per partition.
        public var partitionResponses: [PartitionProduceResponse]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            name: String = "", topicId: KafkaUUID = .zero, partitionResponses: [PartitionProduceResponse] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.name = name
            self.topicId = topicId
            self.partitionResponses = partitionResponses
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A broker named by a ``LeaderIdAndEpoch`` (see ``KafkaNodeEndpoint``).
    public typealias NodeEndpoint = KafkaNodeEndpoint

    /// The outcome per topic.
    public var responses: [TopicProduceResponse]
    /// Throttle time in milliseconds.
    public var throttleTimeMs: Int32
    /// Endpoints of the leaders named in the partitions (v10+, tag 0); empty is not written.
    public var nodeEndpoints: [NodeEndpoint]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        responses: [TopicProduceResponse] = [], throttleTimeMs: Int32 = 0, nodeEndpoints: [NodeEndpoint] = [],
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
        self.nodeEndpoints = nodeEndpoints
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
        try buffer.writeKafkaArray(responses, compact: flexible) { buffer, topic in
            if version >= 13 {
                buffer.writeKafkaUUID(topic.topicId)
            } else {
                buffer.writeKafkaString(topic.name, compact: flexible)
            }
            try buffer.writeKafkaArray(topic.partitionResponses, compact: flexible) { buffer, partition in
                try Self.encodePartition(partition, into: &buffer, version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "responses", version: version)
        }
        buffer.writeInteger(throttleTimeMs)
        var known: [KafkaTaggedField] = []
        if version >= 10, !nodeEndpoints.isEmpty {
            known.append(try Self.taggedNodeEndpoints(nodeEndpoints, version: version))
        }
        try Self.writeTaggedFields(
            known, unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
    }

    private static func encodePartition(_ partition: PartitionProduceResponse, into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = isFlexible(version)
        buffer.writeInteger(partition.index)
        buffer.writeInteger(partition.errorCode)
        buffer.writeInteger(partition.baseOffset)
        buffer.writeInteger(partition.logAppendTimeMs)
        if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
        if version >= 8 {
            try buffer.writeKafkaArray(partition.recordErrors, compact: flexible) { buffer, recordError in
                buffer.writeInteger(recordError.batchIndex)
                buffer.writeKafkaNullableString(recordError.batchIndexErrorMessage, compact: flexible)
                try writeTaggedFields(
                    [], unknown: recordError.unknownTaggedFields, into: &buffer, flexible: flexible,
                    field: "partition_responses.record_errors", version: version)
            }
            buffer.writeKafkaNullableString(partition.errorMessage, compact: flexible)
        }
        var known: [KafkaTaggedField] = []
        if version >= 10, partition.currentLeader != LeaderIdAndEpoch() {
            known.append(try taggedLeader(partition.currentLeader, tag: 0, field: "partition_responses.current_leader", version: version))
        }
        try writeTaggedFields(
            known, unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible,
            field: "partition_responses", version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        responses = try reader.boundedArray("responses", compact: flexible, minimumElementSize: 2) { reader in
            var topic = TopicProduceResponse()
            if version >= 13 {
                topic.topicId = try reader.uuid("responses.topic_id")
            } else {
                topic.name = try reader.string("responses.name", compact: flexible)
            }
            topic.partitionResponses = try reader.boundedArray(
                "responses.partition_responses", compact: flexible, minimumElementSize: 22
            ) { reader in
                try Self.decodePartition(from: &reader, version: version)
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("responses._tagged_fields") }
            return topic
        }
        throttleTimeMs = try reader.int32("throttle_time_ms")
        guard flexible else { return }
        for field in try reader.taggedFields() {
            switch field.tag {
            case 0 where version >= 10:
                nodeEndpoints = try reader.taggedNodeEndpoints(field)
            default:
                unknownTaggedFields.append(field)
            }
        }
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> PartitionProduceResponse {
        let flexible = isFlexible(version)
        var partition = PartitionProduceResponse()
        partition.index = try reader.int32("partition_responses.index")
        partition.errorCode = try reader.int16("partition_responses.error_code")
        partition.baseOffset = try reader.int64("partition_responses.base_offset")
        partition.logAppendTimeMs = try reader.int64("partition_responses.log_append_time_ms")
        if version >= 5 { partition.logStartOffset = try reader.int64("partition_responses.log_start_offset") }
        if version >= 8 {
            partition.recordErrors = try reader.boundedArray(
                "partition_responses.record_errors", compact: flexible, minimumElementSize: 5
            ) { reader in
                BatchIndexAndErrorMessage(
                    batchIndex: try reader.int32("record_errors.batch_index"),
                    batchIndexErrorMessage: try reader.nullableString("record_errors.batch_index_error_message", compact: flexible),
                    unknownTaggedFields: flexible ? try reader.taggedFields("record_errors._tagged_fields") : [])
            }
            partition.errorMessage = try reader.nullableString("partition_responses.error_message", compact: flexible)
        }
        guard flexible else { return partition }
        for field in try reader.taggedFields("partition_responses._tagged_fields") {
            switch field.tag {
            case 0 where version >= 10:
                partition.currentLeader = try reader.taggedLeader(field, field: "partition_responses.current_leader")
            default:
                partition.unknownTaggedFields.append(field)
            }
        }
        return partition
    }
}
