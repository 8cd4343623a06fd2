import FerryTestSupport
import KafkaWire
import NIOCore
import Testing

/// The TCP proxy in front of a fake broker, driven with hand-made requests: forwarding, counts, RST,
/// cuts in the middle of a request, stall and resume, refused connections, stop.
@Suite("Fault harness: TCP proxy")
struct TCPProxyTests {
    /// A fake broker with topic "t" (1 partition) and a proxy in front of it.
    static func setUp() throws -> (FakeKafkaCluster, TCPProxy) {
        let cluster = try FakeKafkaCluster(brokers: 1)
        try cluster.createTopic("t", partitions: 1)
        let proxy = try TCPProxy(targetPort: try #require(cluster.port(of: 1)))
        return (cluster, proxy)
    }

    @Test("forwards both ways and counts bytes and connections")
    func forwards() throws {
        let (cluster, proxy) = try Self.setUp()
        defer { proxy.stop(); cluster.stop() }
        let socket = try RawKafkaSocket(port: proxy.port)
        try socket.send(ApiVersionsRequest(), version: 0)
        #expect(try socket.response(to: ApiVersionsRequest.self, version: 0).error == .none)
        try socket.send(FakeKafkaClusterTests.produce("t", 0, try FakeKafkaClusterTests.batch(3)), version: 11)
        #expect(FakeKafkaClusterTests.code(try socket.response(to: ProduceRequest.self, version: 11)) == .none)
        let counters = proxy.counters
        #expect(counters.accepted == 1 && counters.bytesFromClients > 60 && counters.bytesFromTarget > 20)
        #expect(proxy.liveConnections == 1)
        #expect(cluster.records(topic: "t", partition: 0).count == 3)
    }

    @Test("resetAll resets both sides with RST")
    func resetAll() throws {
        let (cluster, proxy) = try Self.setUp()
        defer { proxy.stop(); cluster.stop() }
        let socket = try RawKafkaSocket(port: proxy.port)
        try socket.send(ApiVersionsRequest(), version: 0)
        _ = try socket.response(to: ApiVersionsRequest.self, version: 0)
        proxy.resetAll()
        #expect(socket.readFrame(timeoutMs: 5000).failureEnd == .reset)
        #expect(proxy.counters.reset == 1 && proxy.liveConnections == 0)
    }

    @Test("a cut after N client bytes: the broker gets part of the request and appends nothing; the client gets RST")
    func cutInTheMiddle() throws {
        let (cluster, proxy) = try Self.setUp()
        defer { proxy.stop(); cluster.stop() }
        let socket = try RawKafkaSocket(port: proxy.port)
        proxy.resetAfterClientBytes(50)
        #expect(proxy.cutPending)
        try socket.send(FakeKafkaClusterTests.produce("t", 0, try FakeKafkaClusterTests.batch(5)), version: 11)
        #expect(socket.readFrame(timeoutMs: 5000).failureEnd == .reset)
        #expect(!proxy.cutPending && proxy.counters.cuts == 1)
        #expect(cluster.records(topic: "t", partition: 0).isEmpty)
        #expect(cluster.stats.requests[.produce] == nil, "the broker never saw a whole Produce request")
        // The next connection is forwarded whole again.
        let again = try RawKafkaSocket(port: proxy.port)
        try again.send(FakeKafkaClusterTests.produce("t", 0, try FakeKafkaClusterTests.batch(5)), version: 11)
        #expect(FakeKafkaClusterTests.code(try again.response(to: ProduceRequest.self, version: 11)) == .none)
    }

    @Test("stall holds requests and answers (also of new connections) with the sockets open; resume delivers them")
    func stallAndResume() throws {
        let (cluster, proxy) = try Self.setUp()
        defer { proxy.stop(); cluster.stop() }
        let socket = try RawKafkaSocket(port: proxy.port)
        try socket.send(ApiVersionsRequest(), version: 0)
        _ = try socket.response(to: ApiVersionsRequest.self, version: 0)
        proxy.stall()
        try socket.send(ApiVersionsRequest(), version: 0)
        let late = try RawKafkaSocket(port: proxy.port)
        try late.send(ApiVersionsRequest(), version: 0)
        #expect(socket.readFrame(timeoutMs: 300).failureEnd == .timedOut)
        #expect(late.readFrame(timeoutMs: 100).failureEnd == .timedOut)
        #expect(cluster.stats.requests[.apiVersions] == 1, "the broker saw nothing while stalled")
        proxy.resume()
        #expect(try socket.response(to: ApiVersionsRequest.self, version: 0).error == .none)
        #expect(try late.response(to: ApiVersionsRequest.self, version: 0).error == .none)
        #expect(cluster.stats.requests[.apiVersions] == 3)
    }

    @Test("refused connections are reset at once; accepted again afterwards; stop closes the port")
    func refuseAndStop() throws {
        let (cluster, proxy) = try Self.setUp()
        defer { proxy.stop(); cluster.stop() }
        proxy.refuseConnections(true)
        let refused = try RawKafkaSocket(port: proxy.port)
        _ = try? refused.send(ApiVersionsRequest(), version: 0)
        let end = refused.readFrame(timeoutMs: 5000).failureEnd
        #expect(end == .reset || end == .closed, "\(String(describing: end))")
        #expect(proxy.counters.refused == 1)
        proxy.refuseConnections(false)
        let accepted = try RawKafkaSocket(port: proxy.port)
        try accepted.send(ApiVersionsRequest(), version: 0)
        #expect(try accepted.response(to: ApiVersionsRequest.self, version: 0).error == .none)
        proxy.stop()
        #expect(accepted.readFrame(timeoutMs: 5000).failureEnd == .reset)
        #expect(!FreePort.accepts(port: proxy.port))
    }
}
