import KafkaWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A fake Kafka cluster on loopback for fault injection: N brokers (node ids 1...N), each on its own port,
/// sharing one cluster state (topics, partition leaders, per-partition logs and idempotence state).
///
/// It serves ApiVersions, Metadata, InitProducerId and Produce (acks 0, 1, -1) as a broker does, checks
/// every batch (CRC, offsets, producer fields) and records what a client does wrong in ``violations``.
/// Faults are armed from the test thread at any time: error codes per partition (``inject(_:)-9y5sw``),
/// connection closes and late answers (``inject(_:)-2ylf0``), leader moves, forgotten producer ids.
/// ``records(topic:partition:)`` returns each partition's log for checking loss, order and duplicates.
///
/// Threading: every method may be called from any thread. The brokers run on one event loop thread of
/// their own, stopped by ``stop()`` (or, without waiting, when the cluster is released).
public final class FakeKafkaCluster: Sendable {
    /// A failure to start the cluster or to apply a change.
    public struct Failure: Error, CustomStringConvertible {
        /// What kind of failure.
        public enum Code: String, Sendable {
            case bindFailed = "bind_failed"
            case unknownTopic = "unknown_topic"
            case unknownNode = "unknown_node"
        }

        /// The kind.
        public var code: Code
        /// A sentence for people.
        public var message: String
        /// Where it happened.
        public var function: String

        public var description: String { "FakeKafkaCluster.\(function) [\(code.rawValue)]: \(message)" }
    }

    /// The node ids, 1...N.
    public let nodes: [Int32]
    private let group: MultiThreadedEventLoopGroup
    private let servers: [Channel]
    private let state: NIOLockedValueBox<FakeClusterState>
    private let connections: NIOLockedValueBox<[Int32: [ObjectIdentifier: Channel]]>
    private let stopped = NIOLockedValueBox(false)

    /// Starts `brokers` brokers on free loopback ports.
    public init(brokers: Int = 1, options: FakeKafkaOptions = FakeKafkaOptions()) throws {
        let nodes = (1...max(brokers, 1)).map { Int32($0) }
        self.nodes = nodes
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let state = NIOLockedValueBox(FakeClusterState(options: options))
        self.state = state
        let connections = NIOLockedValueBox<[Int32: [ObjectIdentifier: Channel]]>([:])
        self.connections = connections
        var servers: [Channel] = []
        do {
            for node in nodes {
                let server = try ServerBootstrap(group: group)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        let gone = state.withLockedValue { state in
                            state.stats.connectionsAccepted += 1
                            return state.unavailable
                        }
                        if gone { return channel.close() }
                        let key = ObjectIdentifier(channel)
                        connections.withLockedValue { $0[node, default: [:]][key] = channel }
                        channel.closeFuture.whenComplete { _ in
                            connections.withLockedValue { _ = $0[node]?.removeValue(forKey: key) }
                        }
                        return channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FakeRequestFrameDecoder()))
                            try channel.pipeline.syncOperations.addHandler(FakeBrokerHandler(node: node, state: state))
                        }
                    }
                    .bind(host: options.host, port: 0).wait()
                guard let port = server.localAddress?.port else {
                    throw Failure(code: .bindFailed, message: "node \(node) has no local port", function: "init")
                }
                state.withLockedValue { $0.ports[node] = port }
                servers.append(server)
            }
        } catch {
            for server in servers { try? server.close().wait() }
            try? group.syncShutdownGracefully()
            throw error as? Failure ?? Failure(code: .bindFailed, message: "\(error)", function: "init")
        }
        self.servers = servers
    }

    deinit {
        let alreadyStopped = stopped.withLockedValue { value in
            defer { value = true }
            return value
        }
        if !alreadyStopped { group.shutdownGracefully { _ in } }
    }

    /// Closes every connection and listener and waits for the event loop thread to end. Idempotent.
    public func stop() {
        let alreadyStopped = stopped.withLockedValue { value in
            defer { value = true }
            return value
        }
        guard !alreadyStopped else { return }
        for server in servers { try? server.close().wait() }
        try? group.syncShutdownGracefully()
    }

    // MARK: - Addresses

    /// `host:port` of every broker, comma-separated (for `bootstrap.servers`).
    public var bootstrap: String {
        state.withLockedValue { state in
            state.ports.keys.sorted().map { "\(state.options.host):\(state.ports[$0]!)" }.joined(separator: ",")
        }
    }

    /// The port of broker `node`.
    public func port(of node: Int32) -> Int? { state.withLockedValue { $0.ports[node] } }

    // MARK: - Topics and leaders

    /// Creates (or replaces) `name` with `partitions` partitions; partition i is led by `leaders[i]`, or by
    /// the brokers in turn (1, 2, ..., N, 1, ...) when `leaders` is nil.
    public func createTopic(_ name: String, partitions: Int, leaders: [Int32]? = nil) throws {
        let nodes = self.nodes
        let chosen = (0..<partitions).map { leaders?[$0 % max(leaders?.count ?? 1, 1)] ?? nodes[$0 % nodes.count] }
        if let unknown = chosen.first(where: { !nodes.contains($0) }) {
            throw Failure(code: .unknownNode, message: "no broker \(unknown)", function: "createTopic")
        }
        state.withLockedValue { state in
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
        state.withLockedValue { $0.topics[topic]?[safe: Int(partition)]?.leader }
    }

    /// Moves the leadership of a partition to `node` (`nil`: no leader until the next move, as during an
    /// election). The old leader answers NOT_LEADER_OR_FOLLOWER from now on; the log and the idempotence
    /// state move with it, as replication keeps them.
    public func moveLeader(topic: String, partition: Int32, to node: Int32?) throws {
        if let node, !nodes.contains(node) {
            throw Failure(code: .unknownNode, message: "no broker \(node)", function: "moveLeader")
        }
        try state.withLockedValue { state in
            guard state.topics[topic]?[safe: Int(partition)] != nil else {
                throw Failure(code: .unknownTopic, message: "no partition \(topic)-\(partition)", function: "moveLeader")
            }
            state.topics[topic]![Int(partition)].leader = node ?? -1
            state.topics[topic]![Int(partition)].leaderEpoch += 1
            state.fired("leader of \(topic)-\(partition) -> \(node.map { "node \($0)" } ?? "none")")
        }
    }

    // MARK: - Faults

    /// Arms a Produce fault (an error code for a partition, for its next requests).
    public func inject(_ fault: FakeProduceFault) {
        state.withLockedValue { $0.produceFaults.append(fault) }
    }

    /// Disarms every produce fault of `topic` not fired yet (the operator fixed the cause).
    public func clearProduceFaults(topic: String) {
        state.withLockedValue { state in
            state.produceFaults.removeAll { $0.topic == topic }
            state.fired("produce faults of \(topic) cleared")
        }
    }

    /// Arms a connection fault (close before or after applying a request, or answer late).
    public func inject(_ fault: FakeConnectionFault) {
        state.withLockedValue { $0.connectionFaults.append(fault) }
    }

    /// Forgets the idempotence state of `producerId` (every producer when `nil`) in every partition, as a
    /// broker does when producer state expires: the producer's next batch gets UNKNOWN_PRODUCER_ID.
    /// Makes InitProducerId answer `code` to its next `requests` requests (then answer normally again).
    public func failInitProducerId(_ code: KafkaErrorCode, requests: Int) {
        state.withLockedValue { $0.initProducerIdErrors.append((code, requests)) }
    }

    /// Takes every broker away (`true`: open connections are dropped, new ones closed at once) or brings
    /// them back.
    public func setUnavailable(_ gone: Bool) {
        state.withLockedValue { state in
            state.unavailable = gone
            state.fired(gone ? "brokers gone" : "brokers back")
        }
        if gone { dropConnections() }
    }

    public func forgetProducers(_ producerId: Int64? = nil) {
        state.withLockedValue { state in
            for name in state.topics.keys {
                for index in state.topics[name]!.indices { state.topics[name]![index].log.forget(producerId: producerId) }
            }
            state.fired("forget producer \(producerId.map { "\($0)" } ?? "ids")")
        }
    }

    /// Closes every open connection to `node` (every broker when `nil`), as a broker restart does.
    public func dropConnections(node: Int32? = nil) {
        let channels = connections.withLockedValue { table in
            table.filter { node == nil || $0.key == node }.flatMap { $0.value.values }
        }
        state.withLockedValue { $0.fired("drop \(channels.count) connections of \(node.map { "node \($0)" } ?? "every node")") }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Faults armed and not fired yet (produce and connection faults).
    public var armedFaults: Int {
        state.withLockedValue { $0.produceFaults.count + $0.connectionFaults.count }
    }

    // MARK: - What happened

    /// The records of a partition, in log order.
    public func records(topic: String, partition: Int32) -> [FakeKafkaRecord] {
        state.withLockedValue { $0.topics[topic]?[safe: Int(partition)]?.log.records ?? [] }
    }

    /// The number of partitions of `topic` (0 if it does not exist).
    public func partitionCount(of topic: String) -> Int {
        state.withLockedValue { $0.topics[topic]?.count ?? 0 }
    }

    /// What the cluster saw and did.
    public var stats: FakeKafkaStats { state.withLockedValue { $0.stats } }

    /// What happened, one line per event (produce answers per partition with the batch's producer id,
    /// epoch, sequence and size; faults; producer ids), oldest first; `matching` filters the lines.
    public func trace(matching: String? = nil) -> [String] {
        state.withLockedValue { state in
            guard let matching else { return state.trace }
            return state.trace.filter { $0.contains(matching) || $0.contains("fault:") || $0.contains("InitProducerId") }
        }
    }

    /// Connections open now, over all brokers.
    public var openConnections: Int { connections.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }

    /// Protocol violations by clients (bad CRC, unadvertised version, epoch never issued ...): empty when
    /// the client behaved.
    public var violations: [String] { state.withLockedValue { $0.violations } }
}

extension Array {
    /// The element at `index`, or nil outside the bounds.
    fileprivate subscript(safe index: Int) -> Element? {
        indices.contains(index) ? self[index] : nil
    }
}
