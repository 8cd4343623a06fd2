import KafkaWire

/// The producer's view of the cluster: brokers, and for each topic of interest its partitions and their
/// leaders. Pure: fed with Metadata responses, answers what changed.
struct ClusterMetadata {
    /// One topic's state.
    struct Topic: Equatable {
        /// Leader of each partition (`nil` = none right now), indexed by partition.
        var leaders: [Int32?] = []
        /// A topic-level error that makes sends fail at once (authorization, invalid name).
        var fatalError: ProducerError?
        /// Whether the topic is missing or has no leaders yet: ask again soon.
        var incomplete = true
        /// Replicas, in-sync and offline replicas of each partition, indexed by partition (node ids).
        var replicas: [(all: [Int32], inSync: [Int32], offline: [Int32])] = []

        static func == (a: Topic, b: Topic) -> Bool {
            a.leaders == b.leaders && a.fatalError == b.fatalError && a.incomplete == b.incomplete
                && a.replicas.elementsEqual(b.replicas) { $0.all == $1.all && $0.inSync == $1.inSync && $0.offline == $1.offline }
        }
    }

    /// What an update changed, for the accumulator and the sender.
    struct Update {
        /// Topic → (partition count, partitions with a leader, fatal error).
        var topics: [String: (count: Int32, available: [Int32], error: ProducerError?)] = [:]
        /// Every partition's leader, for the sender.
        var leaders: [TopicPartition: Int32?] = [:]
        /// Whether some topic or partition is still missing or leaderless.
        var incomplete = false
    }

    /// Brokers by node id.
    private(set) var brokers: [Int32: BrokerAddress] = [:]
    /// Topics by name.
    private(set) var topics: [String: Topic] = [:]

    /// Errors that make sending to a topic pointless until the configuration changes.
    static let fatalTopicErrors: Set<KafkaErrorCode> = [.topicAuthorizationFailed, .invalidTopicException]

    /// The most partitions a topic may have here. Kafka has no hard limit, but clusters hold a few hundred
    /// thousand partitions in all; a topic claiming more comes from a broken or hostile broker, and its
    /// per-partition state (batches, leaders) would be allocated from that claim.
    static let maximumPartitions = 100_000

    /// Problems found in the last response (for the log): entries that were ignored, and why.
    private(set) var problems: [String] = []

    /// Applies a response to a request for `requested` topics. Whatever the broker sends, nothing here
    /// traps or allocates beyond what the response itself holds: brokers with an unusable port or host are
    /// left out, and a topic whose partition indexes are not exactly 0..<n (negative, duplicated, missing,
    /// above ``maximumPartitions``) is treated as incomplete and asked about again.
    mutating func apply(_ response: MetadataResponse, requested: [String]) -> Update {
        var update = Update()
        problems = []
        if !response.brokers.isEmpty {
            var listed: [Int32: BrokerAddress] = [:]
            for broker in response.brokers {
                guard (1...65535).contains(broker.port), !broker.host.isEmpty, broker.host.utf8.count <= 255 else {
                    problems.append("broker \(broker.nodeId) advertises an unusable address '\(broker.host.prefix(64))':\(broker.port)")
                    continue
                }
                if listed[broker.nodeId] == nil {
                    listed[broker.nodeId] = BrokerAddress(host: broker.host, port: Int(broker.port))
                }
            }
            brokers = listed
        }
        var seen = Set<String>()
        for topic in response.topics {
            guard let name = topic.name, requested.contains(name) || topics[name] != nil else { continue }
            seen.insert(name)
            var state = Topic()
            let code = topic.error
            if Self.fatalTopicErrors.contains(code) {
                state.fatalError = ProducerError(.brokerError, topic: name, kafkaError: code, "metadata for the topic: \(code)")
            }
            if code == .none, !topic.partitions.isEmpty {
                if let leaders = leaders(of: topic.partitions) {
                    state.leaders = leaders
                    state.incomplete = leaders.contains { $0 == nil }
                    state.replicas = Array(repeating: ([], [], []), count: leaders.count)
                    for partition in topic.partitions {
                        // Indexes were checked by leaders(of:); the lists are as long as the frame allowed.
                        state.replicas[Int(partition.partitionIndex)] = (
                            partition.replicaNodes, partition.isrNodes, partition.offlineReplicas
                        )
                    }
                } else {
                    problems.append(
                        "topic \(name): \(topic.partitions.count) partitions whose indexes are not 0..<\(topic.partitions.count); ignored")
                }
            }
            topics[name] = state
            update.incomplete = update.incomplete || state.incomplete
            let available = state.leaders.indices.compactMap { state.leaders[$0] != nil ? Int32($0) : nil }
            update.topics[name] = (Int32(state.leaders.count), available, state.fatalError)
            for (index, leader) in state.leaders.enumerated() {
                update.leaders[TopicPartition(topic: name, partition: Int32(index))] = leader
            }
        }
        for name in requested where !seen.contains(name) {
            update.incomplete = true
        }
        return update
    }

    /// The leader of each partition, indexed by partition; nil unless the indexes are exactly 0..<count.
    private func leaders(of partitions: [MetadataResponse.MetadataResponsePartition]) -> [Int32?]? {
        let count = partitions.count
        guard count <= Self.maximumPartitions else { return nil }
        var leaders = [Int32?](repeating: nil, count: count)
        var filled = [Bool](repeating: false, count: count)
        for partition in partitions {
            let index = Int(partition.partitionIndex)
            guard index >= 0, index < count, !filled[index] else { return nil }
            filled[index] = true
            let known = partition.leaderId >= 0 && brokers[partition.leaderId] != nil
            leaders[index] = known ? partition.leaderId : nil
        }
        return leaders
    }

    /// Every partition of `topic` with its leader and replicas, or nil if the topic is not known (yet).
    func partitions(of topic: String) -> [PartitionInfo]? {
        guard let state = topics[topic], !state.leaders.isEmpty else { return nil }
        func node(_ id: Int32) -> KafkaNode {
            let address = brokers[id]
            return KafkaNode(id: id, host: address?.host, port: address?.port)
        }
        return state.leaders.indices.map { index in
            let replicas: (all: [Int32], inSync: [Int32], offline: [Int32]) =
                index < state.replicas.count ? state.replicas[index] : ([], [], [])
            return PartitionInfo(
                topic: topic, partition: Int32(index), leader: state.leaders[index].map(node),
                replicas: replicas.all.map(node), inSyncReplicas: replicas.inSync.map(node),
                offlineReplicas: replicas.offline.map(node))
        }
    }

    /// The address of `node`, if metadata named it.
    func address(of node: Int32) -> BrokerAddress? { brokers[node] }

    /// The node id metadata gives `address`, if any (to adopt a bootstrap connection).
    func node(at address: BrokerAddress) -> Int32? {
        brokers.first { $0.value == address }?.key
    }
}
