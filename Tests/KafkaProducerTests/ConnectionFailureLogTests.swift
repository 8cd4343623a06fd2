import Testing

@testable import KafkaProducer

@Suite("Connection failure log")
struct ConnectionFailureLogTests {
    @Test("the first failure is logged; the same failure every second is counted and logged once a minute; reaching the broker again is logged with the count")
    func repeatingFailure() {
        var log = ConnectionFailureLog(quietNs: 60_000_000_000)
        let second: UInt64 = 1_000_000_000
        var lines: [ConnectionFailureLog.Line] = []
        for attempt in 0..<150 {
            if let line = log.failed(broker: "a:1", error: "refused", now: UInt64(attempt) * second) { lines.append(line) }
        }
        #expect(lines == [
            .failed(broker: "a:1", error: "refused"),
            .stillFailing(broker: "a:1", error: "refused", attempts: 60),
            .stillFailing(broker: "a:1", error: "refused", attempts: 60),
        ])
        #expect(log.unreachable.map(\.broker) == ["a:1"])
        #expect(log.connected(broker: "a:1") == .reachedAgain(broker: "a:1", attempts: 150))
        #expect(log.unreachable.isEmpty)
        #expect(log.connected(broker: "a:1") == nil)
    }

    @Test("a different failure is logged at once; brokers are independent")
    func differentFailures() {
        var log = ConnectionFailureLog()
        #expect(log.failed(broker: "a:1", error: "refused", now: 0) == .failed(broker: "a:1", error: "refused"))
        #expect(log.failed(broker: "a:1", error: "refused", now: 1) == nil)
        #expect(log.failed(broker: "a:1", error: "timed out", now: 2) == .failed(broker: "a:1", error: "timed out"))
        #expect(log.failed(broker: "b:2", error: "refused", now: 3) == .failed(broker: "b:2", error: "refused"))
        #expect(log.unreachable.map(\.broker) == ["a:1", "b:2"])
    }

    @Test("addresses from a hostile broker cannot grow it without bound")
    func bounded() {
        var log = ConnectionFailureLog()
        for index in 0..<5000 { _ = log.failed(broker: "h\(index):1", error: "x", now: 0) }
        #expect(log.unreachable.count == ConnectionFailureLog.maximumBrokers)
    }
}
