import KafkaWire
import Testing

@testable import KafkaProducer

/// The connection handshake as a pure machine: ApiVersions v3 first, the fallback a broker asks for,
/// version negotiation, and reconnect backoff.
@Suite("Connection state machine")
struct ConnectionStateMachineTests {
    static let ms: UInt64 = 1_000_000

    static func machine() -> ConnectionStateMachine {
        ConnectionStateMachine(reconnectBackoff: RetryBackoff(initialMs: 100, maximumMs: 1_000, seed: 3))
    }

    static func versions(_ keys: [KafkaApiKey: ClosedRange<Int16>], error: Int16 = 0) -> ApiVersionsResponse {
        ApiVersionsResponse(
            errorCode: error,
            apiKeys: keys.map { .init(apiKey: $0.key, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound) })
    }

    static let modern: [KafkaApiKey: ClosedRange<Int16>] = [.apiVersions: 0...3, .produce: 0...11, .metadata: 0...12, .initProducerId: 0...5]

    @Test("a modern broker: v3 answers, the highest common versions are chosen")
    func modernBroker() {
        var machine = Self.machine()
        #expect(machine.connect(now: 0) == .openSocket)
        #expect(machine.connect(now: 0) == nil, "one socket at a time")
        #expect(machine.socketOpened() == .sendApiVersions(version: 3))
        let ready = ConnectionStateMachine.NegotiatedVersions(produce: 11, metadata: 12, initProducerId: 4)
        #expect(machine.apiVersionsReceived(Self.versions(Self.modern), version: 3) == .ready(ready))
        #expect(machine.isReady && machine.versions == ready)
    }

    @Test("UNSUPPORTED_VERSION with the broker's ApiVersions range: retry in the version it lists")
    func fallbackToListedVersion() {
        var machine = Self.machine()
        _ = machine.connect(now: 0)
        _ = machine.socketOpened()
        let refusal = Self.versions([.apiVersions: 0...2], error: KafkaErrorCode.unsupportedVersion.rawValue)
        #expect(machine.apiVersionsReceived(refusal, version: 3) == .sendApiVersions(version: 2))
        let old: [KafkaApiKey: ClosedRange<Int16>] = [.apiVersions: 0...2, .produce: 3...7, .metadata: 1...8]
        let ready = ConnectionStateMachine.NegotiatedVersions(produce: 7, metadata: 8, initProducerId: nil)
        #expect(machine.apiVersionsReceived(Self.versions(old), version: 2) == .ready(ready))
    }

    @Test("an answer that does not decode in v3: fall back to v0, and fail after v0 is refused too")
    func fallbackToZeroThenFail() {
        var machine = Self.machine()
        _ = machine.connect(now: 0)
        _ = machine.socketOpened()
        #expect(machine.apiVersionsReceived(nil, version: 3) == .sendApiVersions(version: 0))
        guard case .fail(let reason) = machine.apiVersionsReceived(nil, version: 0) else {
            Issue.record("v0 refused must fail the connection")
            return
        }
        #expect(reason.contains("ApiVersions"))
    }

    @Test("a broker without Produce v3 (record batch v2) or without Metadata is refused with a reason")
    func unusableBroker() {
        var machine = Self.machine()
        _ = machine.connect(now: 0)
        _ = machine.socketOpened()
        guard case .fail(let reason) = machine.apiVersionsReceived(Self.versions([.produce: 0...2, .metadata: 0...5]), version: 3) else {
            Issue.record("Produce v0-2 must be refused")
            return
        }
        #expect(reason.contains("Produce"))
        var other = Self.machine()
        _ = other.connect(now: 0)
        _ = other.socketOpened()
        guard case .fail(let metadataReason) = other.apiVersionsReceived(Self.versions([.produce: 3...9]), version: 3) else {
            Issue.record("no Metadata must be refused")
            return
        }
        #expect(metadataReason.contains("Metadata"))
    }

    @Test("reconnect backoff grows with failures in a row and starts again after a connection the broker answered a request on")
    func reconnectBackoff() throws {
        var machine = Self.machine()
        var now: UInt64 = 0
        var delays: [UInt64] = []
        for _ in 0..<5 {
            #expect(machine.connect(now: now) == .openSocket)
            machine.closed(now: now)
            let retryAt = try #require(machine.retryAt)
            #expect(machine.connect(now: retryAt - 1) == nil, "no attempt before the backoff passed")
            delays.append(retryAt - now)
            now = retryAt
        }
        // 100, 200, 400, 800, 1000 ms, each ±20%.
        for (delay, base) in zip(delays, [100, 200, 400, 800, 1_000] as [UInt64]) {
            #expect(delay >= base * Self.ms * 8 / 10 && delay <= base * Self.ms * 12 / 10, "\(delays)")
        }
        #expect(machine.connect(now: now) == .openSocket)
        _ = machine.socketOpened()
        _ = machine.apiVersionsReceived(Self.versions(Self.modern), version: 3)
        machine.confirm()
        machine.closed(now: now)
        let retryAt = try #require(machine.retryAt)
        #expect(retryAt - now <= 120 * Self.ms, "after a connection the broker answered on, the backoff starts again from the first delay")
    }
}
