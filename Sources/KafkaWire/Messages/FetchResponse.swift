import NIOCore

/// Fetch response: per partition, the error code, the watermarks and the record batches read
/// (``PartitionData/records``, a slice of the response frame: decoding copies nothing).
///
/// Versions: 4-18. 5 adds the log start offset; 7 the top-level error code and session id; 11 the
/// preferred read replica; 12 is the first flexible version and adds the tagged diverging epoch, current
/// leader and snapshot id; 13 replaces topic names with topic ids; 16 adds the tagged node endpoints;
/// 17 and 18 change only the request.
public struct FetchResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.fetch
    public static let supportedVersions: ClosedRange<Int16> = 4...18
    public static let firstFlexibleVersion: Int16? = 12

    /// An epoch and where it ends (the diverging epoch, tag 0 of a partition, v12+).
    public struct EpochEndOffset: Hashable, Sendable {
        /// The epoch, -1 if unknown.
        public var epoch: Int32
        /// The end offset of the epoch, -1 if unknown.
        public var endOffset: Int64
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a value; the defaults are not written.
        public init(epoch: Int32 = -1, endOffset: Int64 = -1, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.epoch = epoch
            self.endOffset = endOffset
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The leader a partition moved to (see ``KafkaLeaderIdAndEpoch``).
    public typealias LeaderIdAndEpoch = KafkaLeaderIdAndEpoch

    /// The snapshot to fetch instead (tag 2 of a partition, v12+).
    public struct SnapshotId: Hashable, Sendable {
        /// The snapshot's end offset, -1 if none.
        public var endOffset: Int64
        /// The snapshot's epoch, -1 if none.
        public var epoch: Int32
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a value; the defaults are not written.
        public init(endOffset: Int64 = -1, epoch: Int32 = -1, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.endOffset = endOffset
            self.epoch = epoch
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// An aborted transaction inside the records returned.
    public struct AbortedTransaction: Hashable, Sendable {
        /// The producer id of the transaction.
        public var producerId: Int64
        /// The first offset of the transaction.
        public var firstOffset: Int64
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(producerId: Int64 = 0, firstOffset: Int64 = 0, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.producerId = producerId
            self.firstOffset = firstOffset
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// What was read from one partition.
    public struct PartitionData: Hashable, Sendable {
        /// The partition index.
        public var partitionIndex: Int32
        /// The error code, 0 if none.
        public var errorCode: Int16
        /// The high watermark.
        public var highWatermark: Int64
        /// The last stable offset, -1 if unknown.
        public var lastStableOffset: Int64
        /// The log start offset (v5+), -1 if unknown.
        public var logStartOffset: Int64
        /// Where the follower's log diverges (v12+, tag 0).
        public var divergingEpoch: EpochEndOffset
        /// The current leader (v12+, tag 1).
        public var currentLeader: LeaderIdAndEpoch
        /// The snapshot to fetch instead (v12+, tag 2).
        public var snapshotId: SnapshotId
        /// Aborted transactions in the records, or `nil`.
        public var abortedTransactions: [AbortedTransaction]?
        /// The replica to fetch from next (v11+), -1 for the leader.
        public var preferredReadReplica: Int32
        /// The record batches read, or `nil`.
        public var records: ByteBuffer?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a partition entry.
        public init(
            partitionIndex: Int32 = 0, errorCode: Int16 = 0, highWatermark: Int64 = 0, lastStableOffset: Int64 = -1,
            logStartOffset: Int64 = -1, divergingEpoch: EpochEndOffset = EpochEndOffset(),
            currentLeader: LeaderIdAndEpoch = LeaderIdAndEpoch(), snapshotId: SnapshotId = SnapshotId(),
            abortedTransactions: [AbortedTransaction]? = [], preferredReadReplica: Int32 = -1, records: ByteBuffer? = nil,
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.divergingEpoch = divergingEpoch
            self.currentLeader = currentLeader
            self.snapshotId = snapshotId
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
            self.unknownTaggedFields = unknownTaggedFields
        }

        /// The partition's error as a ``KafkaErrorCode``.
        public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }
    }

    /// What was read from one topic.
    public struct FetchableTopicResponse: Hashable, Sendable {
        /// The topic name (v4-12).
        public var topic: String
        /// The topic id (v13+).
        public var topicId: KafkaUUID
        /// What was read per partition.
        public var partitions: [PartitionData]
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(
            topic: String = "", topicId: KafkaUUID = .zero, partitions: [PartitionData] = [],
            unknownTaggedFields: [KafkaTaggedField] = []
        ) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A broker named by a ``LeaderIdAndEpoch`` (see ``KafkaNodeEndpoint``).
    public typealias NodeEndpoint = KafkaNodeEndpoint

    /// Throttle time in milliseconds.
    public var throttleTimeMs: Int32
    /// The top-level error code (v7+).
    public var errorCode: Int16
    /// The fetch session id (v7+), 0 if none.
    public var sessionId: Int32
    /// What was read per topic.
    public var responses: [FetchableTopicResponse]
    /// Endpoints of the leaders named in the partitions (v16+, tag 0); empty is not written.
    public var nodeEndpoints: [NodeEndpoint]
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, sessionId: Int32 = 0, responses: [FetchableTopicResponse] = [],
        nodeEndpoints: [NodeEndpoint] = [], unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
        self.nodeEndpoints = nodeEndpoints
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The top-level error (v7+) as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            try encodeBody(into: &buffer, version: version)
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        buffer.writeInteger(throttleTimeMs)
        if version >= 7 {
            buffer.writeInteger(errorCode)
            buffer.writeInteger(sessionId)
        }
        try buffer.writeKafkaArray(responses, compact: flexible) { buffer, topic in
            if version >= 13 {
                buffer.writeKafkaUUID(topic.topicId)
            } else {
                buffer.writeKafkaString(topic.topic, compact: flexible)
            }
            try buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                try Self.encodePartition(partition, into: &buffer, version: version)
            }
            try Self.writeTaggedFields(
                [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "responses", version: version)
        }
        var known: [KafkaTaggedField] = []
        if version >= 16, !nodeEndpoints.isEmpty {
            known.append(try Self.taggedNodeEndpoints(nodeEndpoints, version: version))
        }
        try Self.writeTaggedFields(
            known, unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
    }

    private static func encodePartition(_ partition: PartitionData, into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = isFlexible(version)
        buffer.writeInteger(partition.partitionIndex)
        buffer.writeInteger(partition.errorCode)
        buffer.writeInteger(partition.highWatermark)
        buffer.writeInteger(partition.lastStableOffset)
        if version >= 5 { buffer.writeInteger(partition.logStartOffset) }
        try buffer.writeKafkaNullableArray(partition.abortedTransactions, compact: flexible) { buffer, aborted in
            buffer.writeInteger(aborted.producerId)
            buffer.writeInteger(aborted.firstOffset)
            try writeTaggedFields(
                [], unknown: aborted.unknownTaggedFields, into: &buffer, flexible: flexible,
                field: "partitions.aborted_transactions", version: version)
        }
        if version >= 11 { buffer.writeInteger(partition.preferredReadReplica) }
        buffer.writeKafkaNullableBytes(partition.records, compact: flexible)
        var known: [KafkaTaggedField] = []
        if flexible {
            if partition.divergingEpoch != EpochEndOffset() {
                known.append(try KafkaTaggedField(tag: 0) { buffer in
                    buffer.writeInteger(partition.divergingEpoch.epoch)
                    buffer.writeInteger(partition.divergingEpoch.endOffset)
                    try writeTaggedFields(
                        [], unknown: partition.divergingEpoch.unknownTaggedFields, into: &buffer, flexible: true,
                        field: "partitions.diverging_epoch", version: version)
                })
            }
            if partition.currentLeader != LeaderIdAndEpoch() {
                known.append(try taggedLeader(partition.currentLeader, tag: 1, field: "partitions.current_leader", version: version))
            }
            if partition.snapshotId != SnapshotId() {
                known.append(try KafkaTaggedField(tag: 2) { buffer in
                    buffer.writeInteger(partition.snapshotId.endOffset)
                    buffer.writeInteger(partition.snapshotId.epoch)
                    try writeTaggedFields(
                        [], unknown: partition.snapshotId.unknownTaggedFields, into: &buffer, flexible: true,
                        field: "partitions.snapshot_id", version: version)
                })
            }
        }
        try writeTaggedFields(
            known, unknown: partition.unknownTaggedFields, into: &buffer, flexible: flexible, field: "partitions",
            version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        throttleTimeMs = try reader.int32("throttle_time_ms")
        if version >= 7 {
            errorCode = try reader.int16("error_code")
            sessionId = try reader.int32("session_id")
        }
        responses = try reader.boundedArray("responses", compact: flexible, minimumElementSize: 2) { reader in
            var topic = FetchableTopicResponse()
            if version >= 13 {
                topic.topicId = try reader.uuid("responses.topic_id")
            } else {
                topic.topic = try reader.string("responses.topic", compact: flexible)
            }
            topic.partitions = try reader.boundedArray("responses.partitions", compact: flexible, minimumElementSize: 20) { reader in
                try Self.decodePartition(from: &reader, version: version)
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("responses._tagged_fields") }
            return topic
        }
        guard flexible else { return }
        for field in try reader.taggedFields() {
            switch field.tag {
            case 0 where version >= 16:
                nodeEndpoints = try reader.taggedNodeEndpoints(field)
            default:
                unknownTaggedFields.append(field)
            }
        }
    }

    private static func decodePartition(from reader: inout KafkaReader, version: Int16) throws -> PartitionData {
        let flexible = isFlexible(version)
        var partition = PartitionData()
        partition.partitionIndex = try reader.int32("partitions.partition_index")
        partition.errorCode = try reader.int16("partitions.error_code")
        partition.highWatermark = try reader.int64("partitions.high_watermark")
        partition.lastStableOffset = try reader.int64("partitions.last_stable_offset")
        if version >= 5 { partition.logStartOffset = try reader.int64("partitions.log_start_offset") }
        partition.abortedTransactions = try reader.boundedNullableArray(
            "partitions.aborted_transactions", compact: flexible, minimumElementSize: 16
        ) { reader in
            AbortedTransaction(
                producerId: try reader.int64("aborted_transactions.producer_id"),
                firstOffset: try reader.int64("aborted_transactions.first_offset"),
                unknownTaggedFields: flexible ? try reader.taggedFields("aborted_transactions._tagged_fields") : [])
        }
        if version >= 11 { partition.preferredReadReplica = try reader.int32("partitions.preferred_read_replica") }
        partition.records = try reader.nullableBytes("partitions.records", compact: flexible)
        guard flexible else { return partition }
        for field in try reader.taggedFields("partitions._tagged_fields") {
            switch field.tag {
            case 0:
                partition.divergingEpoch = try reader.decodeTagged(field, "partitions.diverging_epoch") { reader in
                    EpochEndOffset(
                        epoch: try reader.int32("diverging_epoch.epoch"),
                        endOffset: try reader.int64("diverging_epoch.end_offset"),
                        unknownTaggedFields: try reader.taggedFields("diverging_epoch._tagged_fields"))
                }
            case 1:
                partition.currentLeader = try reader.taggedLeader(field, field: "partitions.current_leader")
            case 2:
                partition.snapshotId = try reader.decodeTagged(field, "partitions.snapshot_id") { reader in
                    SnapshotId(
                        endOffset: try reader.int64("snapshot_id.end_offset"),
                        epoch: try reader.int32("snapshot_id.epoch"),
                        unknownTaggedFields: try reader.taggedFields("snapshot_id._tagged_fields"))
                }
            default:
                partition.unknownTaggedFields.append(field)
            }
        }
        return partition
    }
}
