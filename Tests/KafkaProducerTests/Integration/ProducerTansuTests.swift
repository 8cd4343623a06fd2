import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Logging
import NIOConcurrencyHelpers
import Testing
import FerryTestTags

/// The producer against a real broker (tansu), read back by librdkafka.
@Suite("Producer against tansu", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct ProducerTansuTests {
    /// Collects delivery reports.
    final class Reports: Sendable {
        private let state = NIOLockedValueBox<(delivered: [UInt64: (Int32, Int64)], failed: [String])>(([:], []))

        func record(_ report: DeliveryReport) {
            state.withLockedValue { state in
                if let error = report.error {
                    state.failed.append("\(report.tokens.count) records: \(error)")
                } else {
                    for (index, token) in report.tokens.enumerated() {
                        state.delivered[token] = (report.partition, report.baseOffset >= 0 ? report.baseOffset + Int64(index) : -1)
                    }
                }
            }
        }

        var delivered: [UInt64: (Int32, Int64)] { state.withLockedValue { $0.delivered } }
        var failed: [String] { state.withLockedValue { $0.failed } }
    }

    static func logger() -> Logger {
        var logger = Logger(label: "test.producer")
        logger.logLevel = .warning
        return logger
    }

    /// Value of record `n`: `n|key|payload`, ~200 bytes.
    static func value(_ n: Int, key: Int) -> [UInt8] {
        let payload = String(repeating: "0123456789abcdef", count: 11)
        return Array("\(n)|k\(key)|GET /api/v1/items/\(n % 977) HTTP/1.1 200 \(payload)".utf8)
    }

    @Test("1,000,000 keyed records through send (token API), lz4 and gzip: all present once, exact, in order per key", arguments: ["lz4", "gzip"])
    func millionRecords(compression: String) throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let topic = "million-\(compression)"
        try broker.createTopic(topic, partitions: 4)
        let reports = Reports()
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: [
                "bootstrap.servers": broker.bootstrap, "compression.type": compression, "linger.ms": "10",
                "batch.size": "1048576", "max.request.size": "4194304", "buffer.memory": "134217728",
            ]),
            logger: Self.logger(), onDelivery: { reports.record($0) })
        let count = 1_000_000
        for n in 0..<count {
            let key = n % 100
            try producer.send(ProducerRecord(topic: topic, key: Array("k\(key)".utf8), value: Self.value(n, key: key)), token: UInt64(n))
        }
        let closed = try awaitBlocking { await producer.close(timeout: .seconds(120)) }
        #expect(closed)
        #expect(reports.failed.isEmpty, "\(reports.failed.prefix(3))")
        let delivered = reports.delivered
        #expect(delivered.count == count)

        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: topic, count: count, idle: 10)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        #expect(outcome.records.count == count, "consumed \(outcome.records.count)")
        var seen = [Bool](repeating: false, count: count)
        var lastPerKey = [Int](repeating: -1, count: 100)
        var duplicates = 0
        var wrong = 0
        for record in outcome.records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            let value = record.value ?? []
            guard let bar = value.firstIndex(of: UInt8(ascii: "|")), let n = Int(String(decoding: value[..<bar], as: UTF8.self)),
                n >= 0, n < count
            else {
                wrong += 1
                continue
            }
            let key = n % 100
            if value != Self.value(n, key: key) || record.key != Array("k\(key)".utf8) { wrong += 1 }
            if seen[n] { duplicates += 1 }
            seen[n] = true
            #expect(Int32(record.partition) == Murmur2.partition(forKey: Array("k\(key)".utf8), partitionCount: 4))
            if n <= lastPerKey[key] { Issue.record("key k\(key): \(n) after \(lastPerKey[key])") }
            lastPerKey[key] = n
            if let (partition, offset) = delivered[UInt64(n)], offset >= 0 {
                if partition != Int32(record.partition) || offset != record.offset { wrong += 1 }
            }
        }
        #expect(duplicates == 0)
        #expect(wrong == 0)
        #expect(seen.allSatisfy { $0 }, "missing: \(seen.indices.filter { !seen[$0] }.prefix(10))")
    }

    @Test("async send returns the record's partition and offset, and flush waits for everything")
    func asyncSend() async throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("async", partitions: 3)
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: ["bootstrap.servers": broker.bootstrap, "compression.type": "lz4"]),
            logger: Self.logger())
        var metadata: [RecordMetadata] = []
        try await withThrowingTaskGroup(of: RecordMetadata.self) { group in
            for n in 0..<2000 {
                group.addTask {
                    try await producer.send(ProducerRecord(topic: "async", key: "k\(n % 7)", value: "value-\(n)"))
                }
            }
            for try await result in group { metadata.append(result) }
        }
        await producer.flush()
        #expect(await producer.close(timeout: .seconds(10)))
        #expect(metadata.count == 2000)
        #expect(Set(metadata.map { "\($0.partition)/\($0.offset)" }).count == 2000, "offsets are unique")
        #expect(metadata.allSatisfy { $0.offset >= 0 && $0.topic == "async" })
        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "async", count: 2000)
        let byPosition = Dictionary(uniqueKeysWithValues: outcome.records.map { ("\($0.partition)/\($0.offset)", $0) })
        #expect(byPosition.count == 2000)
        for item in metadata { #expect(byPosition["\(item.partition)/\(item.offset)"] != nil) }
    }

    @Test("keyless records spread over partitions in sticky batches")
    func keylessSticky() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("sticky", partitions: 4)
        let reports = Reports()
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: [
                "bootstrap.servers": broker.bootstrap, "batch.size": "16384", "linger.ms": "50",
            ]),
            logger: Self.logger(), onDelivery: { reports.record($0) })
        for n in 0..<20_000 {
            try producer.send(ProducerRecord(topic: "sticky", value: Self.value(n, key: 0)), token: UInt64(n))
        }
        #expect(try awaitBlocking { await producer.close(timeout: .seconds(30)) })
        let partitions = reports.delivered.values.map(\.0)
        #expect(Set(partitions).count == 4, "every partition gets batches")
        // Sticky: consecutive records share a partition most of the time (a switch per batch of ~70 records).
        let ordered = (0..<20_000).compactMap { reports.delivered[UInt64($0)]?.0 }
        let switches = zip(ordered, ordered.dropFirst()).filter { $0 != $1 }.count
        #expect(switches < 20_000 / 20, "\(switches) switches")
    }

    @Test("close giving up while batches are still being compressed: every record gets its report, none hangs")
    func closeDuringCompression() throws {
        var random = SeededGenerator(seed: 0xC105E)
        // Four letters at random: gzip-9's slowest kind of input here (~2 MB/s: every position has many short
        // matches to weigh).
        let letters = Array("ACGT".utf8)
        let payload = (0..<(512 << 10)).map { _ in letters[Int.random(in: 0..<4, using: &random)] }
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("closing", partitions: 2)
        let outcomes = NIOLockedValueBox<(delivered: Int, closed: Int, other: [String])>((0, 0, []))
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: [
                "bootstrap.servers": broker.bootstrap, "compression.type": "gzip", "compression.level": "9",
                "batch.size": "1048576", "max.request.size": "4194304", "buffer.memory": "268435456", "linger.ms": "0",
                // One compression thread: about 10 s of gzip-9 behind the sends, whatever the machine's load.
                "ferry.compression.threads": "1",
            ]),
            logger: Self.logger(),
            onDelivery: { report in
                outcomes.withLockedValue { outcome in
                    switch report.error?.code {
                    case nil: outcome.delivered += report.tokens.count
                    case .closed?, .outcomeUnknown?: outcome.closed += report.tokens.count
                    default: outcome.other.append("\(report.error!)")
                    }
                }
            })
        // 20 MB of records of 512 KiB in gzip-9 batches on one thread: about 10 s of compression, cut short
        // after 10 ms (the sends only copy the bytes).
        let count = 40
        for n in 0..<count {
            try producer.send(ProducerRecord(topic: "closing", key: Array("k\(n % 10)".utf8), value: payload), token: UInt64(n))
        }
        let clean = try awaitBlocking { await producer.close(timeout: .milliseconds(10)) }
        let outcome = outcomes.withLockedValue { $0 }
        print("close after 10 ms: delivered \(outcome.delivered), failed as closed or unknown \(outcome.closed) of \(count)")
        #expect(!clean, "close cannot have delivered 20 MB of slow gzip-9 in 10 ms")
        #expect(outcome.other.count == 0, "\(outcome.other.prefix(3))")
        #expect(outcome.delivered + outcome.closed == count, "every record reported exactly once")
        #expect(outcome.closed > 0)
    }

    @Test("flush and sendOpenBatches after close return at once (the event loop is gone; nothing is left to wait for)")
    func flushAfterClose() throws {
        let port = try FreePort.find()
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: ["bootstrap.servers": "127.0.0.1:\(port)"]),
            logger: Self.logger())
        #expect(try awaitBlocking { await producer.close(timeout: .seconds(1)) })
        producer.sendOpenBatches()
        let flushed = DispatchSemaphore(value: 0)
        Task {
            await producer.flush()
            flushed.signal()
        }
        #expect(flushed.wait(timeout: .now() + 10) == .success, "flush after close returned")
    }

    @Test("an unreachable cluster: send fails after max.block.ms naming the topic; close reports nothing lost silently")
    func unreachable() throws {
        let port = try FreePort.find()
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: ["bootstrap.servers": "127.0.0.1:\(port)", "max.block.ms": "300"]),
            logger: Self.logger())
        #expect { try producer.send(ProducerRecord(topic: "t", value: [1]), token: 1) } throws: { error in
            guard let error = error as? ProducerError else { return false }
            return error.code == .metadataTimeout && error.topic == "t"
        }
        #expect(try awaitBlocking { await producer.close(timeout: .seconds(1)) })
    }
}

/// Runs async work from a synchronous test and waits for it.
func awaitBlocking<T: Sendable>(_ body: @escaping @Sendable () async -> T) throws -> T {
    let box = NIOLockedValueBox<T?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task {
        let value = await body()
        box.withLockedValue { $0 = value }
        done.signal()
    }
    done.wait()
    return box.withLockedValue { $0 }!
}
