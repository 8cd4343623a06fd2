/// A broker, as metadata names it.
public struct KafkaNode: Sendable, Hashable, CustomStringConvertible {
    /// The broker's node id.
    public var id: Int32
    /// Its advertised host, or nil when the metadata lists the id but not the broker (it is down).
    public var host: String?
    /// Its advertised port, or nil as for `host`.
    public var port: Int?

    /// Makes a node.
    public init(id: Int32, host: String?, port: Int?) {
        self.id = id
        self.host = host
        self.port = port
    }

    /// `node ID (host:port)`.
    public var description: String {
        guard let host, let port else { return "node \(id)" }
        return "node \(id) (\(host):\(port))"
    }
}

/// One partition of a topic, as Java's `PartitionInfo`: its leader and its replicas.
public struct PartitionInfo: Sendable, Hashable {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The leader, or nil when the partition has none right now.
    public var leader: KafkaNode?
    /// Every replica.
    public var replicas: [KafkaNode]
    /// The replicas in sync with the leader.
    public var inSyncReplicas: [KafkaNode]
    /// The replicas that are offline.
    public var offlineReplicas: [KafkaNode]

    /// Makes a partition's description.
    public init(
        topic: String, partition: Int32, leader: KafkaNode?, replicas: [KafkaNode], inSyncReplicas: [KafkaNode],
        offlineReplicas: [KafkaNode]
    ) {
        self.topic = topic
        self.partition = partition
        self.leader = leader
        self.replicas = replicas
        self.inSyncReplicas = inSyncReplicas
        self.offlineReplicas = offlineReplicas
    }
}
