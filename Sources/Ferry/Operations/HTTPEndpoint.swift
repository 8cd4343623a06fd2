import KafkaProducer
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// `http.listen`: `/metrics`, `/health` and `/ready` over HTTP/1.1, served with swift-nio's own codec on
/// a thread of its own, so that no HTTP client can hold the pipeline's threads. Hostile clients are bounded:
/// at most ``Limits/maxConnections`` at once (the others are closed as they connect), a request head of at
/// most ``Limits/maxRequestBytes``, ``Limits/requestTimeout`` from connecting (or from the last response) to
/// a whole request, and a client that does not read its responses is dropped once they fill the
/// connection's write buffer.
final class HTTPEndpoint: Sendable {
    /// The bounds that keep a flood of clients from growing memory or holding connections.
    struct Limits: Sendable {
        var maxConnections = 64
        var maxRequestBytes = 16 << 10
        var requestTimeout: TimeAmount = .seconds(10)
        var writeBufferBytes = 1 << 20
    }

    /// What the endpoint refused, for `/metrics`.
    final class Counters: Sendable {
        let requests = Atomic<Int>(0)
        let refusedConnections = Atomic<Int>(0)
        let timedOut = Atomic<Int>(0)
        let oversized = Atomic<Int>(0)
        init() {}
    }

    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    /// The port bound (the one asked for, or the one the system chose for port 0).
    let port: Int

    private init(group: MultiThreadedEventLoopGroup, channel: any Channel) {
        self.group = group
        self.channel = channel
        port = channel.localAddress?.port ?? 0
    }

    /// Binds `address` and serves until ``stop()``. Throws ``AgentError`` (`startup`) when it cannot bind.
    static func start(
        address: BrokerAddress, routes: HTTPRoutes, counters: Counters, logger: Logger, limits: Limits = Limits()
    ) async throws(AgentError) -> HTTPEndpoint {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let openConnections = OpenConnections()
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: limits.writeBufferBytes / 2, high: limits.writeBufferBytes))
            .childChannelInitializer { channel in
                let count = openConnections.value.wrappingAdd(1, ordering: .relaxed).newValue
                channel.closeFuture.whenComplete { _ in openConnections.value.wrappingSubtract(1, ordering: .relaxed) }
                if count > limits.maxConnections {
                    counters.refusedConnections.wrappingAdd(1, ordering: .relaxed)
                    return channel.close()
                }
                do {
                    try channel.pipeline.syncOperations.addHandler(
                        RequestGuard(limits: limits, counters: counters))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(HTTPRequestHandler(routes: routes, counters: counters))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        do {
            let channel = try await bootstrap.bind(host: address.host, port: address.port).get()
            let endpoint = HTTPEndpoint(group: group, channel: channel)
            logger.notice(
                "serving /metrics, /health and /ready", metadata: ["http.listen": "\(address.host):\(endpoint.port)"])
            return endpoint
        } catch {
            try? await group.shutdownGracefully()
            throw AgentError(.startup, "cannot listen on http.listen \(address): \(error)")
        }
    }

    /// Closes the listener and every connection, and ends the thread.
    func stop() async {
        try? await channel.close().get()
        try? await group.shutdownGracefully()
    }
}

/// The number of connections open, shared by the channel initializers.
private final class OpenConnections: Sendable {
    let value = Atomic<Int>(0)
}

/// What the endpoint answers; filled by the agent.
struct HTTPRoutes: Sendable {
    /// The Prometheus text exposition.
    let metrics: @Sendable () -> [UInt8]
    /// `/health` and `/ready`.
    let health: AgentHealth

    /// The answer to `method path` (the query string is ignored): status, content type, body.
    func answer(method: HTTPMethod, uri: String) -> (HTTPResponseStatus, String, [UInt8]) {
        let path = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
        guard method == .GET || method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", Array("only GET and HEAD\n".utf8))
        }
        let text = "text/plain; charset=utf-8"
        switch path {
        case "/metrics":
            return (.ok, "text/plain; version=0.0.4; charset=utf-8", metrics())
        case "/health":
            if let problem = health.current.problem { return (.serviceUnavailable, text, Array("unhealthy: \(problem)\n".utf8)) }
            return (.ok, text, Array("ok\n".utf8))
        case "/ready":
            if health.current.ready { return (.ok, text, Array("ready\n".utf8)) }
            return (.serviceUnavailable, text, Array("not ready: no broker has answered yet\n".utf8))
        case "/":
            return (.ok, text, Array("ferry: /metrics /health /ready\n".utf8))
        default:
            return (.notFound, text, Array("not found: /metrics, /health and /ready are served\n".utf8))
        }
    }
}

/// Bytes-level bounds on one connection: request size, time to a whole request, a client that does not
/// read. In front of the HTTP decoder.
private final class RequestGuard: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    private let limits: HTTPEndpoint.Limits
    private let counters: HTTPEndpoint.Counters
    private var bytesSinceResponse = 0
    private var deadline: Scheduled<Void>?

    init(limits: HTTPEndpoint.Limits, counters: HTTPEndpoint.Counters) {
        self.limits = limits
        self.counters = counters
    }

    func handlerAdded(context: ChannelHandlerContext) { arm(context) }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        bytesSinceResponse += buffer.readableBytes
        guard bytesSinceResponse <= limits.maxRequestBytes else {
            counters.oversized.wrappingAdd(1, ordering: .relaxed)
            context.close(promise: nil)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        // A response: the request is complete; the next one has its own budget and deadline.
        bytesSinceResponse = 0
        arm(context)
        context.write(data, promise: promise)
        if !context.channel.isWritable {
            // The client does not read its responses: drop it rather than hold them.
            context.close(promise: nil)
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let counters = self.counters
        deadline = context.eventLoop.scheduleTask(in: limits.requestTimeout) {
            counters.timedOut.wrappingAdd(1, ordering: .relaxed)
            bound.value.close(promise: nil)
        }
    }
}

/// Answers one request at a time (the pipelining handler holds the next).
private final class HTTPRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let routes: HTTPRoutes
    private let counters: HTTPEndpoint.Counters
    private var head: HTTPRequestHead?

    init(routes: HTTPRoutes, counters: HTTPEndpoint.Counters) {
        self.routes = routes
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
        case .body:
            break
        case .end:
            guard let request = head else { return }
            head = nil
            counters.requests.wrappingAdd(1, ordering: .relaxed)
            let (status, contentType, body) = routes.answer(method: request.method, uri: request.uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: contentType)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Cache-Control", value: "no-store")
            if status == .methodNotAllowed { headers.add(name: "Allow", value: "GET, HEAD") }
            let keepAlive = request.isKeepAlive
            headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: request.version, status: status, headers: headers))), promise: nil)
            if request.method != .HEAD {
                var buffer = context.channel.allocator.buffer(capacity: body.count)
                buffer.writeBytes(body)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                if !keepAlive { bound.value.close(promise: nil) }
            }
        }
    }
}
