import NIOCore

/// Metadata request (API key 3): asks for the brokers, and the partitions and leaders of some topics
/// (or of all topics when ``topics`` is `nil`).
///
/// Versions: 1-13. 4 adds ``allowAutoTopicCreation``; 8 adds the authorized-operations flags (the
/// cluster one only in 8-10); 9 is the first flexible version; 10 adds topic ids and lets a topic name
/// be null (brokers use ids only from 12 on); 13 is the same as 12 (its response adds an error code).
public struct MetadataRequest: KafkaRequest {
    public typealias Response = MetadataResponse
    public static let apiKey = KafkaApiKey.metadata
    public static let supportedVersions: ClosedRange<Int16> = 1...13
    public static let firstFlexibleVersion: Int16? = 9

    /// One topic to describe.
    public struct MetadataRequestTopic: Hashable, Sendable {
        /// The topic id (v10+); zero when asking by name.
        public var topicId: KafkaUUID
        /// The topic name; may be `nil` only in v10+ (when asking by id).
        public var name: String?
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes a topic entry.
        public init(topicId: KafkaUUID = .zero, name: String? = nil, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.topicId = topicId
            self.name = name
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The topics to describe: `nil` for all topics, empty for none (brokers only).
    public var topics: [MetadataRequestTopic]?
    /// Whether the broker may auto-create missing topics (v4+; earlier versions always allow it).
    public var allowAutoTopicCreation: Bool
    /// Whether to include cluster authorized operations (v8-10).
    public var includeClusterAuthorizedOperations: Bool
    /// Whether to include topic authorized operations (v8+).
    public var includeTopicAuthorizedOperations: Bool
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        topics: [MetadataRequestTopic]? = nil, allowAutoTopicCreation: Bool = true,
        includeClusterAuthorizedOperations: Bool = false, includeTopicAuthorizedOperations: Bool = false,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// A request for the named topics.
    public init(topicNames: [String], allowAutoTopicCreation: Bool = false) {
        self.init(topics: topicNames.map { MetadataRequestTopic(name: $0) }, allowAutoTopicCreation: allowAutoTopicCreation)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            try buffer.writeKafkaNullableArray(topics, compact: flexible) { buffer, topic in
                if version >= 10 {
                    buffer.writeKafkaUUID(topic.topicId)
                    buffer.writeKafkaNullableString(topic.name, compact: flexible)
                } else {
                    buffer.writeKafkaString(try Self.nonNull(topic.name, "topics.name", version: version), compact: flexible)
                }
                try Self.writeTaggedFields(
                    [], unknown: topic.unknownTaggedFields, into: &buffer, flexible: flexible, field: "topics", version: version)
            }
            if version >= 4 { buffer.writeKafkaBool(allowAutoTopicCreation) }
            if (8...10).contains(version) { buffer.writeKafkaBool(includeClusterAuthorizedOperations) }
            if version >= 8 { buffer.writeKafkaBool(includeTopicAuthorizedOperations) }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        topics = try reader.boundedNullableArray("topics", compact: flexible, minimumElementSize: version >= 10 ? 18 : 2) { reader in
            var topic = MetadataRequestTopic()
            if version >= 10 {
                topic.topicId = try reader.uuid("topics.topic_id")
                topic.name = try reader.nullableString("topics.name", compact: flexible)
            } else {
                topic.name = try reader.string("topics.name", compact: flexible)
            }
            if flexible { topic.unknownTaggedFields = try reader.taggedFields("topics._tagged_fields") }
            return topic
        }
        if version >= 4 { allowAutoTopicCreation = try reader.bool("allow_auto_topic_creation") }
        if (8...10).contains(version) {
            includeClusterAuthorizedOperations = try reader.bool("include_cluster_authorized_operations")
        }
        if version >= 8 { includeTopicAuthorizedOperations = try reader.bool("include_topic_authorized_operations") }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
