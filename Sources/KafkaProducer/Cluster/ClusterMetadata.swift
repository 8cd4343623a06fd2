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

    /// Applies a response to a request for `requested` topics.
    mutating func apply(_ response: MetadataResponse, requested: [String]) -> Update {
        var update = Update()
        if !response.brokers.isEmpty {
            brokers = Dictionary(
                response.brokers.map { ($0.nodeId, BrokerAddress(host: $0.host, port: Int($0.port))) },
                uniquingKeysWith: { first, _ in first })
        }
        var seen = Set<String>()
        for topic in response.topics {
            guard let name = topic.name else { continue }
            seen.insert(name)
            var state = Topic()
            let code = topic.error
            if Self.fatalTopicErrors.contains(code) {
                state.fatalError = ProducerError(.brokerError, topic: name, kafkaError: code, "metadata for the topic: \(code)")
            }
            if code == .none, !topic.partitions.isEmpty {
                let count = (topic.partitions.map(\.partitionIndex).max() ?? -1) + 1
                var leaders = [Int32?](repeating: nil, count: Int(count))
                for partition in topic.partitions where partition.partitionIndex >= 0 {
                    let known = partition.leaderId >= 0 && brokers[partition.leaderId] != nil
                    leaders[Int(partition.partitionIndex)] = known ? partition.leaderId : nil
                }
                state.leaders = leaders
                state.incomplete = leaders.contains { $0 == nil }
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

    /// The address of `node`, if metadata named it.
    func address(of node: Int32) -> BrokerAddress? { brokers[node] }

    /// The node id metadata gives `address`, if any (to adopt a bootstrap connection).
    func node(at address: BrokerAddress) -> Int32? {
        brokers.first { $0.value == address }?.key
    }
}
