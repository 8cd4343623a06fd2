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
public final class FakeKafkaCluster: FakeClusterControls {
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

    /// The state the brokers share, and the topic, fault and inspection methods (``FakeClusterControls``).
    public let shared: FakeClusterStateBox
    private let group: MultiThreadedEventLoopGroup
    private let servers: [Channel]
    private var state: NIOLockedValueBox<FakeClusterState> { shared.state }
    private let connections: NIOLockedValueBox<[Int32: [ObjectIdentifier: Channel]]>
    private let stopped = NIOLockedValueBox(false)

    /// Starts `brokers` brokers on free loopback ports.
    public init(brokers: Int = 1, options: FakeKafkaOptions = FakeKafkaOptions()) throws {
        let shared = FakeClusterStateBox(brokers: brokers, options: options)
        self.shared = shared
        let nodes = shared.nodes
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let state = shared.state
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

    /// Takes every broker away (`true`: open connections are dropped, new ones closed at once) or brings
    /// them back.
    public func setUnavailable(_ gone: Bool) {
        state.withLockedValue { state in
            state.unavailable = gone
            state.fired(gone ? "brokers gone" : "brokers back")
        }
        if gone { dropConnections() }
    }

    /// Closes every open connection to `node` (every broker when `nil`), as a broker restart does.
    public func dropConnections(node: Int32? = nil) {
        let channels = connections.withLockedValue { table in
            table.filter { node == nil || $0.key == node }.flatMap { $0.value.values }
        }
        state.withLockedValue { $0.fired("drop \(channels.count) connections of \(node.map { "node \($0)" } ?? "every node")") }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Connections open now, over all brokers.
    public var openConnections: Int { connections.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }

}
