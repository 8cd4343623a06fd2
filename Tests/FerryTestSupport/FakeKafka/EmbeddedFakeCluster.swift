import KafkaWire
import NIOCore
import NIOEmbedded

/// The fake cluster without sockets: its brokers answer clients' in-memory channels (`EmbeddedChannel`) on
/// an `EmbeddedEventLoop`, whose virtual time the test advances. The same cluster state decides every
/// answer as in ``FakeKafkaCluster`` (topics, leaders, logs, producer ids, faults), so a test of a client's
/// core reads one event per line: a request is answered when the test calls ``serve()``, a delayed answer
/// when the loop's time passes it.
///
/// Threading: one thread, the loop's (like `EmbeddedEventLoop` itself).
public final class EmbeddedFakeCluster: FakeClusterControls, @unchecked Sendable {
    /// A connection attempt: where to, when (the loop's time, in nanoseconds), and whether it was accepted.
    public struct Attempt: Sendable, Equatable, CustomStringConvertible {
        /// The port asked for.
        public var port: Int
        /// The broker listening there, if any.
        public var node: Int32?
        /// The loop's time.
        public var at: UInt64
        /// Whether the connection was accepted.
        public var accepted: Bool

        public var description: String { "\(node.map { "node \($0)" } ?? "port \(port)") at \(at / 1_000_000) ms\(accepted ? "" : " refused")" }
    }

    /// A request a broker received: its API, version, broker and the loop's time.
    public struct Request: Sendable, Equatable, CustomStringConvertible {
        /// The API.
        public var api: KafkaApiKey
        /// The version.
        public var version: Int16
        /// The broker.
        public var node: Int32
        /// The loop's time, in nanoseconds.
        public var at: UInt64

        public var description: String { "\(api.name) v\(version) to node \(node) at \(at / 1_000_000) ms" }
    }

    /// What a refused connection fails with.
    public struct ConnectionRefused: Error, CustomStringConvertible {
        /// The port asked for.
        public var port: Int
        public var description: String { "connection refused (port \(port))" }
    }

    /// A client connection accepted by a broker.
    private final class Connection {
        let node: Int32
        let channel: EmbeddedChannel
        /// Request bytes received and not split into frames yet.
        var received = ByteBuffer()
        /// Request frames waiting behind a delayed answer.
        var queue: [ByteBuffer] = []
        var waiting = false
        var closed = false

        init(node: Int32, channel: EmbeddedChannel) {
            self.node = node
            self.channel = channel
        }
    }

    public let shared: FakeClusterStateBox
    /// The loop every connection runs on.
    public let loop: EmbeddedEventLoop
    /// Ports that refuse connections (a broker that is down), besides those nothing listens on.
    public var refusedPorts: Set<Int> = []
    /// Every connection attempt, oldest first.
    public private(set) var attempts: [Attempt] = []
    /// When connections closed (by either side): the broker and the loop's time, oldest first.
    public private(set) var closes: [(node: Int32, at: UInt64)] = []
    /// Every request received, oldest first.
    public private(set) var requests: [Request] = []
    private var connections: [Connection] = []
    private let frames = KafkaFrameDecoder()

    /// `brokers` brokers (node ids 1...N) on `loop`; broker N "listens" on port 9090 + N.
    public init(brokers: Int = 1, options: FakeKafkaOptions = FakeKafkaOptions(), loop: EmbeddedEventLoop) {
        shared = FakeClusterStateBox(brokers: brokers, options: options)
        self.loop = loop
        let nodes = shared.nodes
        shared.state.withLockedValue { state in
            for node in nodes { state.ports[node] = 9090 + Int(node) }
        }
    }

    /// The port broker `node` listens on.
    public func port(of node: Int32) -> Int { 9090 + Int(node) }

    /// `host:port` of every broker, comma-separated (for `bootstrap.servers`).
    public var bootstrap: String {
        let host = shared.state.withLockedValue { $0.options.host }
        return nodes.map { "\(host):\(port(of: $0))" }.joined(separator: ",")
    }

    /// A client connects to `port`: `initialize` sets up its pipeline, then the channel is connected and
    /// handed back; refused (failed future) when nothing listens there, the port is in ``refusedPorts`` or
    /// the brokers are unavailable.
    public func connect(
        port: Int, initialize: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let node = nodes.first { self.port(of: $0) == port }
        let unavailable = shared.state.withLockedValue { state in
            state.stats.connectionsAccepted += 1
            return state.unavailable
        }
        let accepted = node != nil && !refusedPorts.contains(port) && !unavailable
        attempts.append(Attempt(port: port, node: node, at: loop.now.uptimeNanoseconds, accepted: accepted))
        guard let node, accepted else { return loop.makeFailedFuture(ConnectionRefused(port: port)) }
        let channel = EmbeddedChannel(loop: loop)
        let connection = Connection(node: node, channel: channel)
        connections.append(connection)
        channel.closeFuture.whenComplete { [self] _ in closes.append((node, loop.now.uptimeNanoseconds)) }
        return initialize(channel)
            .flatMapThrowing { try SocketAddress(ipAddress: "127.0.0.1", port: port) }
            .flatMap { channel.connect(to: $0) }
            .map { channel as any Channel }
    }

    /// Answers every request the clients wrote (those behind a delayed answer wait for it); returns how many
    /// requests were handled. Answers go into the client's pipeline at once (`writeInbound`), so the
    /// client's reactions happen inside this call.
    @discardableResult
    public func serve() -> Int {
        var handled = 0
        for connection in connections where !connection.closed {
            guard connection.channel.isActive else {
                connection.closed = true
                continue
            }
            while let bytes = try? connection.channel.readOutbound(as: ByteBuffer.self) {
                var bytes = bytes
                connection.received.writeBuffer(&bytes)
            }
            do {
                while let frame = try frames.decodeFrame(from: &connection.received) { connection.queue.append(frame) }
            } catch {
                shared.state.withLockedValue { $0.violations.append("node \(connection.node): bad frame: \(error)") }
                close(connection)
                continue
            }
            handled += drain(connection)
        }
        connections.removeAll { $0.closed }
        return handled
    }

    /// Handles queued frames of one connection until one must wait or the connection closes.
    private func drain(_ connection: Connection) -> Int {
        var handled = 0
        while !connection.waiting, !connection.closed, !connection.queue.isEmpty {
            let frame = connection.queue.removeFirst()
            handled += 1
            let node = connection.node
            let key = frame.getInteger(at: frame.readerIndex, as: Int16.self) ?? -1
            requests.append(Request(
                api: KafkaApiKey(rawValue: key), version: frame.getInteger(at: frame.readerIndex + 2, as: Int16.self) ?? -1,
                node: node, at: loop.now.uptimeNanoseconds))
            switch shared.state.withLockedValue({ $0.handle(frame: frame, node: node) }) {
            case .close, .answer(_, after: .closeInsteadOfAnswering):
                close(connection)
            case .answer(let response, after: .nothing):
                if let response { answer(connection, response) }
            case .answer(let response, after: .delay(let milliseconds)):
                connection.waiting = true
                loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { [self] in
                    connection.waiting = false
                    guard !connection.closed else { return }
                    if let response { answer(connection, response) }
                    _ = drain(connection)
                }
            }
        }
        return handled
    }

    private func answer(_ connection: Connection, _ response: ByteBuffer) {
        guard connection.channel.isActive else {
            connection.closed = true
            return
        }
        // An error the client's pipeline raises is the client's business (it closes the connection).
        _ = try? connection.channel.writeInbound(response)
    }

    private func close(_ connection: Connection) {
        connection.closed = true
        connection.queue = []
        if connection.channel.isActive { _ = try? connection.channel.close().wait() }
    }

    /// Closes every open connection to `node` (every broker when `nil`), as a broker restart does.
    public func dropConnections(node: Int32? = nil) {
        let chosen = connections.filter { !$0.closed && (node == nil || $0.node == node) }
        shared.state.withLockedValue { $0.fired("drop \(chosen.count) connections of \(node.map { "node \($0)" } ?? "every node")") }
        for connection in chosen { close(connection) }
        connections.removeAll { $0.closed }
    }

    /// Takes every broker away (`true`: open connections are dropped, new ones refused) or brings them back.
    public func setUnavailable(_ gone: Bool) {
        shared.state.withLockedValue { state in
            state.unavailable = gone
            state.fired(gone ? "brokers gone" : "brokers back")
        }
        if gone { dropConnections() }
    }

    /// Connections open now.
    public var openConnections: Int { connections.filter { !$0.closed && $0.channel.isActive }.count }
}
