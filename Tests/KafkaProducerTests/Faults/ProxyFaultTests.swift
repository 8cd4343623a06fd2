import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Testing
import FerryTestTags

extension ProducerFaults {
    /// A real broker (tansu) behind our TCP proxy: connections reset in the middle of requests, and a
    /// stall longer than `request.timeout.ms`. The topic is read back by librdkafka (confluent-kafka,
    /// check.crcs=true), not only through our own delivery reports.
    @Suite("tansu behind a TCP proxy", .tags(.broker, .childProcess), .needsBroker)
    struct Proxy {
        /// Reads `topic` back with librdkafka through the (healthy again) proxy.
        static func consumed(_ broker: ProxiedTansu, topic: String, count: Int) throws -> (log: [LoggedRecord], errors: [String]) {
            let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: topic, count: count, idle: 5, timeout: 60)
            let log = outcome.records.map {
                LoggedRecord(partition: Int32($0.partition), offset: $0.offset, key: $0.key, value: $0.value)
            }
            return (log, outcome.errors)
        }

        @Test(
            "connections reset in the middle of a request, 5 times, then all at once: librdkafka reads every record once, in order")
        func resetMidRequest() async throws {
            let seed: UInt64 = 0x7A05_0001
            let broker = try ProxiedTansu()
            defer { broker.stop() }
            let topic = "resets"
            try broker.createTopic(topic, partitions: 4)
            let run = try FaultWorkload(bootstrap: broker.bootstrap, topic: topic, seed: seed)
            var random = SeededGenerator(seed: seed)
            var cutsArmed = 0
            try await run.send(count: 3000) { step in
                if [4, 8, 12, 16, 20].contains(step) {
                    // Somewhere inside the next request (the ones here are 0.3-10 kB).
                    broker.proxy.resetAfterClientBytes(Int.random(in: 40...1500, using: &random))
                    cutsArmed += 1
                }
                if step == 24 { broker.proxy.resetAll() }
            }
            var consumedErrors: [String] = []
            await run.expectDeliveredOnceInOrder(log: {
                do {
                    let (log, errors) = try Self.consumed(broker, topic: topic, count: run.sentCount)
                    consumedErrors = errors
                    return log
                } catch {
                    consumedErrors = ["\(error)"]
                    return []
                }
            }, note: "proxy \(broker.proxy.counters); tansu: \(broker.recentLog().suffix(600))")
            #expect(consumedErrors.isEmpty, "\(consumedErrors)")
            let counters = broker.proxy.counters
            #expect(counters.cuts == cutsArmed && !broker.proxy.cutPending, "\(counters)")
            #expect(counters.reset >= cutsArmed + 1, "\(counters)")
            #expect(run.producer.counters.connectionFailures.load(ordering: .relaxed) >= cutsArmed)
        }

        @Test(
            "a stall of 2.5 s in both directions, past request.timeout.ms = 1000, then resume: librdkafka reads every record once, in order")
        func stallPastRequestTimeout() async throws {
            let seed: UInt64 = 0x7A05_0002
            let broker = try ProxiedTansu()
            defer { broker.stop() }
            let topic = "stall"
            try broker.createTopic(topic, partitions: 4)
            let run = try FaultWorkload(
                bootstrap: broker.bootstrap, topic: topic, seed: seed, properties: ["request.timeout.ms": "1000"])
            var stalledAt: ContinuousClock.Instant?
            var stallLength: Duration = .zero
            try await run.send(count: 3000, step: 100, pause: .milliseconds(40)) { step in
                if step == 6 {
                    broker.proxy.stall()
                    stalledAt = .now
                }
                if let since = stalledAt, ContinuousClock.now - since >= .milliseconds(2500) {
                    broker.proxy.resume()
                    stallLength = ContinuousClock.now - since
                    stalledAt = nil
                }
            }
            if let since = stalledAt {
                // The sends ended first: keep the stall to its full length.
                try await Task.sleep(until: since + .milliseconds(2500))
                broker.proxy.resume()
                stallLength = ContinuousClock.now - since
            }
            var consumedErrors: [String] = []
            await run.expectDeliveredOnceInOrder(log: {
                do {
                    let (log, errors) = try Self.consumed(broker, topic: topic, count: run.sentCount)
                    consumedErrors = errors
                    return log
                } catch {
                    consumedErrors = ["\(error)"]
                    return []
                }
            }, note: "proxy \(broker.proxy.counters); tansu: \(broker.recentLog().suffix(600))")
            #expect(consumedErrors.isEmpty, "\(consumedErrors)")
            #expect(stallLength >= .milliseconds(2500))
            // The producer gave up on the stalled connection (request timeout) and reconnected.
            #expect(run.producer.counters.connectionFailures.load(ordering: .relaxed) >= 1)
            #expect(broker.proxy.counters.accepted >= 2)
        }
    }
}
