import NIOCore

/// The leader a partition moved to: schema struct `LeaderIdAndEpoch`, a tagged field of the partition in
/// Produce v10+ (tag 0) and Fetch v12+ (tag 1). Both responses name it by their own alias.
public struct KafkaLeaderIdAndEpoch: Hashable, Sendable {
    /// The new leader's broker id, -1 if unknown.
    public var leaderId: Int32
    /// The new leader's epoch, -1 if unknown.
    public var leaderEpoch: Int32
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a value; the defaults mean "unknown" and are not written.
    public init(leaderId: Int32 = -1, leaderEpoch: Int32 = -1, unknownTaggedFields: [KafkaTaggedField] = []) {
        self.leaderId = leaderId
        self.leaderEpoch = leaderEpoch
        self.unknownTaggedFields = unknownTaggedFields
    }
}

/// A broker: schema struct `NodeEndpoint` (the top-level tagged field 0 of Produce v10+ and Fetch v16+
/// responses, naming the brokers of their ``KafkaLeaderIdAndEpoch``s) and, with the same fields,
/// `MetadataResponseBroker`.
public struct KafkaNodeEndpoint: Hashable, Sendable {
    /// The broker id.
    public var nodeId: Int32
    /// The broker's host name.
    public var host: String
    /// The broker's port.
    public var port: Int32
    /// The broker's rack, or `nil`.
    public var rack: String?
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes an endpoint.
    public init(nodeId: Int32 = 0, host: String = "", port: Int32 = 0, rack: String? = nil, unknownTaggedFields: [KafkaTaggedField] = []) {
        self.nodeId = nodeId
        self.host = host
        self.port = port
        self.rack = rack
        self.unknownTaggedFields = unknownTaggedFields
    }
}

extension KafkaMessage {
    /// The tagged field carrying `leader` (only in flexible versions, so always compact).
    static func taggedLeader(_ leader: KafkaLeaderIdAndEpoch, tag: UInt32, field: String, version: Int16) throws -> KafkaTaggedField {
        try KafkaTaggedField(tag: tag) { buffer in
            buffer.writeInteger(leader.leaderId)
            buffer.writeInteger(leader.leaderEpoch)
            try writeTaggedFields([], unknown: leader.unknownTaggedFields, into: &buffer, flexible: true, field: field, version: version)
        }
    }

    /// The top-level tagged field 0 carrying `nodes`.
    static func taggedNodeEndpoints(_ nodes: [KafkaNodeEndpoint], version: Int16) throws -> KafkaTaggedField {
        try KafkaTaggedField(tag: 0) { buffer in
            try buffer.writeKafkaArray(nodes, compact: true) { buffer, node in
                try writeNode(node, into: &buffer, flexible: true, field: "node_endpoints", version: version)
            }
        }
    }

    /// Writes one broker entry (`NodeEndpoint` or `MetadataResponseBroker`); its tagged fields only when `flexible`.
    static func writeNode(_ node: KafkaNodeEndpoint, into buffer: inout ByteBuffer, flexible: Bool, field: String, version: Int16) throws {
        buffer.writeInteger(node.nodeId)
        buffer.writeKafkaString(node.host, compact: flexible)
        buffer.writeInteger(node.port)
        buffer.writeKafkaNullableString(node.rack, compact: flexible)
        try writeTaggedFields([], unknown: node.unknownTaggedFields, into: &buffer, flexible: flexible, field: field, version: version)
    }
}

extension KafkaReader {
    /// Decodes the tagged field `tagged` as a ``KafkaLeaderIdAndEpoch`` named `field`.
    func taggedLeader(_ tagged: KafkaTaggedField, field: String) throws -> KafkaLeaderIdAndEpoch {
        try decodeTagged(tagged, field) { reader in
            KafkaLeaderIdAndEpoch(
                leaderId: try reader.int32("current_leader.leader_id"),
                leaderEpoch: try reader.int32("current_leader.leader_epoch"),
                unknownTaggedFields: try reader.taggedFields("current_leader._tagged_fields"))
        }
    }

    /// Decodes the tagged field `tagged` as the response's node endpoints.
    func taggedNodeEndpoints(_ tagged: KafkaTaggedField) throws -> [KafkaNodeEndpoint] {
        try decodeTagged(tagged, "node_endpoints") { reader in
            try reader.boundedArray("node_endpoints", compact: true, minimumElementSize: 11) { reader in
                try reader.node("node_endpoints", flexible: true)
            }
        }
    }

    /// Decodes one broker entry of the array `field` (`NodeEndpoint` or `MetadataResponseBroker`); its tagged
    /// fields only when `flexible`.
    mutating func node(_ field: String, flexible: Bool) throws -> KafkaNodeEndpoint {
        KafkaNodeEndpoint(
            nodeId: try int32("\(field).node_id"),
            host: try string("\(field).host", compact: flexible),
            port: try int32("\(field).port"),
            rack: try nullableString("\(field).rack", compact: flexible),
            unknownTaggedFields: flexible ? try taggedFields("\(field)._tagged_fields") : [])
    }
}
