import KafkaWire
import NIOConcurrencyHelpers

/// The state a fake cluster's brokers share, behind a lock: topics, leaders, logs, producer ids, faults.
public final class FakeClusterStateBox: Sendable {
    /// The node ids, 1...N.
    public let nodes: [Int32]
    let state: NIOLockedValueBox<FakeClusterState>

    /// `brokers` brokers (node ids 1...N) behaving as `options` says.
    public init(brokers: Int, options: FakeKafkaOptions) {
        nodes = (1...max(brokers, 1)).map { Int32($0) }
        state = NIOLockedValueBox(FakeClusterState(options: options))
    }
}

/// What a test does to a fake cluster and reads back from it, the same whether its brokers listen on
/// loopback sockets (``FakeKafkaCluster``) or answer in-memory channels on an `EmbeddedEventLoop`
/// (``EmbeddedFakeCluster``). Every method may be called from any thread.
public protocol FakeClusterControls: Sendable {
    /// The state the brokers share.
    var shared: FakeClusterStateBox { get }
}

extension FakeClusterControls {
    /// The node ids, 1...N.
    public var nodes: [Int32] { shared.nodes }

    // MARK: - Topics and leaders

    /// Creates (or replaces) `name` with `partitions` partitions; partition i is led by `leaders[i]`, or by
    /// the brokers in turn (1, 2, ..., N, 1, ...) when `leaders` is nil.
    public func createTopic(_ name: String, partitions: Int, leaders: [Int32]? = nil) throws {
        let nodes = shared.nodes
        let chosen = (0..<partitions).map { leaders?[$0 % max(leaders?.count ?? 1, 1)] ?? nodes[$0 % nodes.count] }
        if let unknown = chosen.first(where: { !nodes.contains($0) }) {
            throw FakeKafkaCluster.Failure(code: .unknownNode, message: "no broker \(unknown)", function: "createTopic")
        }
        shared.state.withLockedValue { state in
            let keeps = state.options.keepsRecords
            state.topics[name] = chosen.map { leader in
                var partition = FakeClusterState.Partition(leader: leader)
                partition.log.keepsRecords = keeps
                return partition
            }
        }
    }

    /// The leader of a partition (-1 while it has none), or nil if the partition does not exist.
    public func leader(of topic: String, partition: Int32) -> Int32? {
        shared.state.withLockedValue { $0.topics[topic]?[safe: Int(partition)]?.leader }
    }

    /// Moves the leadership of a partition to `node` (`nil`: no leader until the next move, as during an
    /// election). The old leader answers NOT_LEADER_OR_FOLLOWER from now on; the log and the idempotence
    /// state move with it, as replication keeps them.
    public func moveLeader(topic: String, partition: Int32, to node: Int32?) throws {
        if let node, !shared.nodes.contains(node) {
            throw FakeKafkaCluster.Failure(code: .unknownNode, message: "no broker \(node)", function: "moveLeader")
        }
        try shared.state.withLockedValue { state in
            guard state.topics[topic]?[safe: Int(partition)] != nil else {
                throw FakeKafkaCluster.Failure(code: .unknownTopic, message: "no partition \(topic)-\(partition)", function: "moveLeader")
            }
            state.topics[topic]![Int(partition)].leader = node ?? -1
            state.topics[topic]![Int(partition)].leaderEpoch += 1
            state.fired("leader of \(topic)-\(partition) -> \(node.map { "node \($0)" } ?? "none")")
        }
    }

    // MARK: - Faults

    /// Arms a Produce fault (an error code for a partition, for its next requests).
    public func inject(_ fault: FakeProduceFault) {
        shared.state.withLockedValue { $0.produceFaults.append(fault) }
    }

    /// Disarms every produce fault of `topic` not fired yet (the operator fixed the cause).
    public func clearProduceFaults(topic: String) {
        shared.state.withLockedValue { state in
            state.produceFaults.removeAll { $0.topic == topic }
            state.fired("produce faults of \(topic) cleared")
        }
    }

    /// Arms a connection fault (close before or after applying a request, or answer late).
    public func inject(_ fault: FakeConnectionFault) {
        shared.state.withLockedValue { $0.connectionFaults.append(fault) }
    }

    /// Makes InitProducerId answer `code` to its next `requests` requests (then answer normally again).
    public func failInitProducerId(_ code: KafkaErrorCode, requests: Int) {
        shared.state.withLockedValue { $0.initProducerIdErrors.append((code, requests)) }
    }

    /// Forgets the idempotence state of `producerId` (every producer when `nil`) in every partition, as a
    /// broker does when producer state expires: the producer's next batch gets UNKNOWN_PRODUCER_ID.
    public func forgetProducers(_ producerId: Int64? = nil) {
        shared.state.withLockedValue { state in
            for name in state.topics.keys {
                for index in state.topics[name]!.indices { state.topics[name]![index].log.forget(producerId: producerId) }
            }
            state.fired("forget producer \(producerId.map { "\($0)" } ?? "ids")")
        }
    }

    /// Faults armed and not fired yet (produce and connection faults).
    public var armedFaults: Int {
        shared.state.withLockedValue { $0.produceFaults.count + $0.connectionFaults.count }
    }

    // MARK: - What happened

    /// The records of a partition, in log order.
    public func records(topic: String, partition: Int32) -> [FakeKafkaRecord] {
        shared.state.withLockedValue { $0.topics[topic]?[safe: Int(partition)]?.log.records ?? [] }
    }

    /// The number of partitions of `topic` (0 if it does not exist).
    public func partitionCount(of topic: String) -> Int {
        shared.state.withLockedValue { $0.topics[topic]?.count ?? 0 }
    }

    /// What the cluster saw and did.
    public var stats: FakeKafkaStats { shared.state.withLockedValue { $0.stats } }

    /// What happened, one line per event (produce answers per partition with the batch's producer id,
    /// epoch, sequence and size; faults; producer ids), oldest first; `matching` filters the lines.
    public func trace(matching: String? = nil) -> [String] {
        shared.state.withLockedValue { state in
            guard let matching else { return state.trace }
            return state.trace.filter { $0.contains(matching) || $0.contains("fault:") || $0.contains("InitProducerId") }
        }
    }

    /// Protocol violations by clients (bad CRC, unadvertised version, epoch never issued ...): empty when
    /// the client behaved.
    public var violations: [String] { shared.state.withLockedValue { $0.violations } }
}

extension Array {
    /// The element at `index`, or nil outside the bounds.
    fileprivate subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
