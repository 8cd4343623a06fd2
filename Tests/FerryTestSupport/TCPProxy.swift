import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP proxy for fault injection between a client and a real broker: it listens on a free
/// port of 127.0.0.1 and forwards each accepted connection to `127.0.0.1:targetPort`.
///
/// Controls, callable from any thread (each returns once it took effect):
/// - ``resetAll()``: reset every live connection (RST on both sides, `SO_LINGER` 0);
/// - ``resetAfterClientBytes(_:)``: forward only the next N bytes clients send, then reset that
///   connection, so that a request is cut in the middle;
/// - ``stall()`` / ``resume()``: stop forwarding in both directions, sockets kept open (new connections
///   too), then forward what was held back and carry on;
/// - ``refuseConnections(_:)``: reset new connections as soon as they are accepted.
///
/// It counts bytes and connections (``counters``). Its one event loop thread ends in ``stop()`` (or,
/// without waiting, when the proxy is released).
public final class TCPProxy: Sendable {
    /// What the proxy did so far.
    public struct Counters: Sendable, Equatable {
        /// Connections accepted (including refused ones).
        public var accepted = 0
        /// Connections reset on accept because new connections were refused.
        public var refused = 0
        /// Connections reset by ``resetAll()`` or by a cut.
        public var reset = 0
        /// Requests cut after N bytes (by ``resetAfterClientBytes(_:)``).
        public var cuts = 0
        /// Bytes received from clients.
        public var bytesFromClients = 0
        /// Bytes received from the target.
        public var bytesFromTarget = 0
    }

    /// A failure to start the proxy.
    public struct Failure: Error, CustomStringConvertible {
        /// A short, stable code.
        public var code: String
        /// A sentence for people.
        public var message: String
        public var description: String { "TCPProxy [\(code)]: \(message)" }
    }

    /// The port the proxy listens on (127.0.0.1).
    public let port: Int
    /// The port it forwards to (127.0.0.1).
    public let targetPort: Int
    private let group: MultiThreadedEventLoopGroup
    private let server: Channel
    private let shared: NIOLockedValueBox<ProxyShared>
    private let stopped = NIOLockedValueBox(false)

    /// Starts a proxy to `127.0.0.1:targetPort` on a free port.
    public init(targetPort: Int) throws {
        self.targetPort = targetPort
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let shared = NIOLockedValueBox(ProxyShared())
        self.shared = shared
        do {
            server = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .childChannelInitializer { channel in
                    ProxyConnection.accept(channel, targetPort: targetPort, shared: shared)
                }
                .bind(host: "127.0.0.1", port: 0).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw Failure(code: "bind_failed", message: "\(error)")
        }
        guard let bound = server.localAddress?.port else {
            try? group.syncShutdownGracefully()
            throw Failure(code: "bind_failed", message: "no local port")
        }
        port = bound
    }

    deinit {
        let alreadyStopped = stopped.withLockedValue { value in
            defer { value = true }
            return value
        }
        if !alreadyStopped { group.shutdownGracefully { _ in } }
    }

    /// Stops listening, resets every connection and waits for the event loop thread to end. Idempotent.
    public func stop() {
        let alreadyStopped = stopped.withLockedValue { value in
            defer { value = true }
            return value
        }
        guard !alreadyStopped else { return }
        try? server.close().wait()
        resetAll()
        try? group.syncShutdownGracefully()
    }

    /// What the proxy did so far.
    public var counters: Counters { shared.withLockedValue { $0.counters } }

    /// Connections open right now.
    public var liveConnections: Int { shared.withLockedValue { $0.live.count } }

    /// Resets every live connection, both sides, with RST.
    public func resetAll() {
        let live = shared.withLockedValue { Array($0.live.values) }
        for connection in live {
            try? connection.eventLoop.submit { connection.reset() }.wait()
        }
    }

    /// Forwards only the next `count` bytes that clients send (over all connections), then resets the
    /// connection that sent them: the target sees a request cut in the middle.
    public func resetAfterClientBytes(_ count: Int) {
        shared.withLockedValue { $0.cutAfter = max(count, 1) }
    }

    /// Whether a cut armed by ``resetAfterClientBytes(_:)`` has not happened yet.
    public var cutPending: Bool { shared.withLockedValue { $0.cutAfter != nil } }

    /// Stops forwarding in both directions; sockets stay open and bytes are held back.
    public func stall() {
        shared.withLockedValue { $0.stalled = true }
    }

    /// Forwards what was held back and resumes forwarding.
    public func resume() {
        let live = shared.withLockedValue { state in
            state.stalled = false
            return Array(state.live.values)
        }
        for connection in live {
            try? connection.eventLoop.submit { connection.resume() }.wait()
        }
    }

    /// While `refusing`, new connections are reset as soon as they are accepted.
    public func refuseConnections(_ refusing: Bool) {
        shared.withLockedValue { $0.refusing = refusing }
    }
}

/// The state shared by the proxy's controls and its connections.
struct ProxyShared: Sendable {
    var counters = TCPProxy.Counters()
    var stalled = false
    var refusing = false
    /// Client bytes still forwarded before the next cut.
    var cutAfter: Int?
    var live: [ObjectIdentifier: ProxyConnection] = [:]
}

/// One proxied connection: the client's channel and the target's. Confined to its event loop (hence
/// `@unchecked Sendable`: only `eventLoop` is read from elsewhere).
final class ProxyConnection: @unchecked Sendable {
    enum Side { case client, target }

    let eventLoop: EventLoop
    private let shared: NIOLockedValueBox<ProxyShared>
    private var client: Channel?
    private var target: Channel?
    private var heldFromClient: [ByteBuffer] = []
    private var heldFromTarget: [ByteBuffer] = []
    private var closed = false

    private init(client: Channel, shared: NIOLockedValueBox<ProxyShared>) {
        eventLoop = client.eventLoop
        self.client = client
        self.shared = shared
    }

    /// Sets up a newly accepted client channel: refused (reset), or connected to the target.
    static func accept(_ channel: Channel, targetPort: Int, shared: NIOLockedValueBox<ProxyShared>) -> EventLoopFuture<Void> {
        let refusing = shared.withLockedValue { state in
            state.counters.accepted += 1
            if state.refusing { state.counters.refused += 1 }
            return state.refusing
        }
        if refusing {
            resetChannel(channel)
            return channel.eventLoop.makeSucceededVoidFuture()
        }
        let connection = ProxyConnection(client: channel, shared: shared)
        shared.withLockedValue { $0.live[ObjectIdentifier(connection)] = connection }
        do {
            try channel.pipeline.syncOperations.addHandler(ProxyReadHandler(connection: connection, side: .client))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        ClientBootstrap(group: channel.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { target in
                target.eventLoop.makeCompletedFuture {
                    try target.pipeline.syncOperations.addHandler(ProxyReadHandler(connection: connection, side: .target))
                }
            }
            .connect(host: "127.0.0.1", port: targetPort)
            .whenComplete { result in
                switch result {
                case .success(let target): connection.targetConnected(target)
                case .failure: connection.reset()
                }
            }
        return channel.eventLoop.makeSucceededVoidFuture()
    }

    private func targetConnected(_ channel: Channel) {
        guard !closed else {
            Self.resetChannel(channel)
            return
        }
        target = channel
        client?.setOption(.autoRead, value: true).whenSuccess { [client] in client?.read() }
    }

    /// Bytes arrived from `side`: forward them, hold them (stalled), or forward a prefix and cut.
    func received(_ bytes: ByteBuffer, from side: Side) {
        guard !closed else { return }
        enum Decision { case forward, hold, cut(Int) }
        let count = bytes.readableBytes
        let decision = shared.withLockedValue { state -> Decision in
            if side == .client { state.counters.bytesFromClients += count } else { state.counters.bytesFromTarget += count }
            if state.stalled { return .hold }
            if side == .client, let remaining = state.cutAfter {
                if count >= remaining {
                    state.cutAfter = nil
                    state.counters.cuts += 1
                    return .cut(remaining)
                }
                state.cutAfter = remaining - count
            }
            return .forward
        }
        switch decision {
        case .forward:
            destination(of: side)?.writeAndFlush(bytes, promise: nil)
        case .hold:
            if side == .client { heldFromClient.append(bytes) } else { heldFromTarget.append(bytes) }
            // Stop reading this side, so the kernel buffers fill and the sender feels the stall.
            source(of: side)?.setOption(.autoRead, value: false).whenComplete { _ in }
        case .cut(let prefix):
            var head = bytes
            let slice = head.readSlice(length: prefix) ?? ByteBuffer()
            guard let target = destination(of: side) else {
                reset()
                return
            }
            target.writeAndFlush(slice).whenComplete { [self] _ in reset() }
        }
    }

    /// Forwards what was held and reads again.
    func resume() {
        guard !closed else { return }
        for bytes in heldFromClient { target?.write(bytes, promise: nil) }
        for bytes in heldFromTarget { client?.write(bytes, promise: nil) }
        heldFromClient = []
        heldFromTarget = []
        for channel in [client, target].compactMap({ $0 }) {
            channel.flush()
            channel.setOption(.autoRead, value: true).whenSuccess { channel.read() }
        }
    }

    /// Resets both sides with RST.
    func reset() {
        guard !closed else { return }
        closed = true
        shared.withLockedValue { state in
            state.counters.reset += 1
            state.live[ObjectIdentifier(self)] = nil
        }
        for channel in [client, target].compactMap({ $0 }) { Self.resetChannel(channel) }
        client = nil
        target = nil
    }

    /// One side closed: close the other (FIN), forget the connection.
    func closedBy(_ side: Side) {
        guard !closed else { return }
        closed = true
        shared.withLockedValue { $0.live[ObjectIdentifier(self)] = nil }
        for channel in [client, target].compactMap({ $0 }) { channel.close(promise: nil) }
        client = nil
        target = nil
    }

    private func destination(of side: Side) -> Channel? { side == .client ? target : client }
    private func source(of side: Side) -> Channel? { side == .client ? client : target }

    /// Closes `channel` with `SO_LINGER` 0, so that the peer gets RST instead of FIN.
    static func resetChannel(_ channel: Channel) {
        guard let options = channel as? SocketOptionProvider else {
            channel.close(promise: nil)
            return
        }
        options.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// Hands the bytes a proxied channel reads to its connection.
final class ProxyReadHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let connection: ProxyConnection
    private let side: ProxyConnection.Side

    init(connection: ProxyConnection, side: ProxyConnection.Side) {
        self.connection = connection
        self.side = side
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.received(unwrapInboundIn(data), from: side)
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.closedBy(side)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
