import Testing

@testable import KafkaProducer

/// The core's metadata decisions, without a socket: when to ask, on which connection, where to connect.
@Suite("Metadata scheduler")
struct MetadataSchedulerTests {
    static let a = BrokerAddress(host: "a", port: 9092)
    static let b = BrokerAddress(host: "b", port: 9092)
    static let c = BrokerAddress(host: "c", port: 9092)
    static let ms: UInt64 = 1_000_000

    static func candidate(
        _ node: Int32, _ address: BrokerAddress, ready: Bool = false, channel: Bool = false, retryAt: UInt64? = nil
    ) -> MetadataScheduler.Candidate {
        .init(node: node, isReady: ready, canAskMetadata: ready, hasChannel: channel || ready, retryAt: retryAt, address: address)
    }

    @Test("asks on a ready known broker before a ready bootstrap connection; once out, nothing more until the answer")
    func choosesConnection() {
        var scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let connections = [Self.candidate(-1, Self.a, ready: true), Self.candidate(2, Self.b, ready: true)]
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 0) == .send(1))
        scheduler.requestSent()
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 0) == .wait)
        scheduler.want()
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 0) == .wait)  // still in flight
        scheduler.responseApplied(incomplete: false, now: 5 * Self.ms)
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 5 * Self.ms) == .send(1))
    }

    @Test("an incomplete answer (topic missing or leaderless) asks again after retry.backoff.ms, doubling to the maximum, with jitter; a complete one resets it")
    func retryBackoff() {
        var scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let connections = [Self.candidate(1, Self.a, ready: true)]
        var now: UInt64 = 1_000 * Self.ms
        var delays: [UInt64] = []
        for _ in 0..<6 {
            #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: now) == .send(0))
            scheduler.requestSent()
            scheduler.responseApplied(incomplete: true, now: now)
            let retryAt = scheduler.retryAt
            #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: retryAt - 1) == .wait)
            #expect(scheduler.deadlines(now: now).contains(retryAt))
            delays.append((retryAt - now) / Self.ms)
            now = retryAt
        }
        // 100, 200, 400, 800, 1000, 1000 ms, each within ±20 %.
        for (delay, expected) in zip(delays, [100, 200, 400, 800, 1000, 1000] as [UInt64]) {
            #expect(delay + 1 >= expected * 8 / 10 && delay <= expected * 12 / 10, "\(delays)")
        }
        scheduler.requestSent()
        scheduler.responseApplied(incomplete: false, now: now)
        #expect(scheduler.failures == 0 && scheduler.retryAt == 0)
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: now) == .wait)  // not wanted
    }

    @Test("metadata older than metadata.max.age.ms is asked for again; the timer is armed for that moment")
    func maxAge() {
        var scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let connections = [Self.candidate(1, Self.a, ready: true)]
        scheduler.requestSent()
        scheduler.responseApplied(incomplete: false, now: Self.ms)
        #expect(scheduler.deadlines(now: Self.ms) == [Self.ms + 300_000 * Self.ms])
        scheduler.tick(now: 299_000 * Self.ms)
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 299_000 * Self.ms) == .wait)
        scheduler.tick(now: 301_000 * Self.ms)
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 301_000 * Self.ms) == .send(0))
    }

    @Test("with no connection: the next bootstrap server, rotating after each failure; never while one is opening")
    func bootstrapRotation() {
        var scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let servers = [Self.a, Self.b, Self.c]
        let idle = [Self.candidate(-1, Self.a), Self.candidate(-2, Self.b), Self.candidate(-3, Self.c)]
        var opened: [Int] = []
        for _ in 0..<4 {
            guard case .open(let index) = scheduler.decide(connections: idle, bootstrapServers: servers, now: 0) else {
                Issue.record("expected a connection to open")
                return
            }
            opened.append(index)
            var opening = idle
            opening[index].hasChannel = true
            #expect(scheduler.decide(connections: opening, bootstrapServers: servers, now: 0) == .wait)
            scheduler.bootstrapFailed()
        }
        #expect(opened == [0, 1, 2, 0])
    }

    @Test("known brokers first when they may be retried; when every bootstrap connection became an unreachable broker's, bootstrap.servers are added back")
    func backToBootstrap() {
        let scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let servers = [Self.a, Self.b]
        // Broker 1 (once bootstrap a) is backing off; broker 2 (at c, not a bootstrap server) may be retried.
        let brokers = [Self.candidate(1, Self.a, retryAt: 50 * Self.ms), Self.candidate(2, Self.c)]
        #expect(scheduler.decide(connections: brokers, bootstrapServers: servers, now: 0) == .addBootstrapServers([Self.b]))
        let withBootstrap = brokers + [Self.candidate(-2, Self.b)]
        #expect(scheduler.decide(connections: withBootstrap, bootstrapServers: servers, now: 0) == .open(1))
        // All known brokers backing off: the bootstrap server.
        let backingOff = [Self.candidate(1, Self.a, retryAt: 50 * Self.ms), Self.candidate(2, Self.c, retryAt: 50 * Self.ms), Self.candidate(-2, Self.b)]
        #expect(scheduler.decide(connections: backingOff, bootstrapServers: servers, now: 0) == .open(2))
        // Every address already has a connection and all back off: wait for the reconnect timer.
        let allKnown = [Self.candidate(1, Self.a, retryAt: 50 * Self.ms), Self.candidate(2, Self.b, retryAt: 50 * Self.ms)]
        #expect(scheduler.decide(connections: allKnown, bootstrapServers: servers, now: 0) == .wait)
        #expect(scheduler.decide(connections: allKnown, bootstrapServers: servers, now: 50 * Self.ms) == .open(0))
    }

    @Test("a request lost with its connection is asked again")
    func lostRequest() {
        var scheduler = MetadataScheduler(maxAgeMs: 300_000, retryBackoffMs: 100, retryBackoffMaxMs: 1000)
        let connections = [Self.candidate(1, Self.a, ready: true)]
        scheduler.requestSent()
        scheduler.requestLost()
        #expect(scheduler.decide(connections: connections, bootstrapServers: [Self.a], now: 0) == .send(0))
    }
}
