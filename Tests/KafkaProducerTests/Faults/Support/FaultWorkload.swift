import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Logging
import NIOConcurrencyHelpers

/// A producer sending keyed records in steps while a test injects faults between steps, then waiting for
/// every outcome. Each record's value is `"<key>:<sequence>:<padding>"` with a per-key sequence, so the
/// log can be checked for loss, duplicates and order (``DeliveryCheck``). Payload sizes and keys come
/// from a seeded generator: a run replays from its seed.
final class FaultWorkload: Sendable {
    /// One record sent.
    struct Sent: Sendable {
        var token: UInt64
        var key: Int
        var sequence: Int
        var partition: Int32
        var value: [UInt8]
        var keyBytes: [UInt8] { Array("key-\(key)".utf8) }
    }

    /// The settings the fault tests share: idempotence on, small linger and batches (many requests),
    /// 5 requests in flight, short backoffs, no delivery timeout (as the agent runs).
    static let baseProperties: [String: String] = [
        "enable.idempotence": "true", "acks": "all", "linger.ms": "2", "batch.size": "2048",
        "max.in.flight.requests.per.connection": "5", "retry.backoff.ms": "10", "retry.backoff.max.ms": "200",
        "reconnect.backoff.ms": "10", "reconnect.backoff.max.ms": "200", "request.timeout.ms": "5000",
        "delivery.timeout.ms": "0", "metadata.max.age.ms": "60000",
    ]

    let topic: String
    let seed: UInt64
    let producer: KafkaProducer
    private let reports = NIOLockedValueBox<[DeliveryReport]>([])
    private let sentRecords = NIOLockedValueBox<[Sent]>([])
    private let logs: LogCapture

    /// Creates the producer for `bootstrap` with ``baseProperties`` overridden by `properties`.
    init(bootstrap: String, topic: String, seed: UInt64, properties: [String: String] = [:]) throws {
        self.topic = topic
        self.seed = seed
        var all = Self.baseProperties.merging(properties) { _, new in new }
        all["bootstrap.servers"] = bootstrap
        let reports = self.reports
        let logs = LogCapture()
        self.logs = logs
        var logger = Logger(label: "ferry.faults") { _ in logs }
        logger.logLevel = .info
        producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: all), logger: logger,
            onDelivery: { report in reports.withLockedValue { $0.append(report) } })
    }

    /// Sends `count` records over `keys` keys in steps of `step` records, pausing `pause` after each
    /// step and calling `between(stepNumber)` (where the test injects its faults). Returns when all are
    /// buffered.
    func send(
        count: Int, keys: Int = 24, step: Int = 100, pause: Duration = .milliseconds(15),
        between: (Int) async throws -> Void = { _ in }
    ) async throws {
        var random = SeededGenerator(seed: seed)
        var nextSequence = [Int](repeating: 0, count: keys)
        var stepNumber = 0
        var index = sentRecords.withLockedValue { $0.count }
        let end = index + count
        while index < end {
            for _ in 0..<min(step, end - index) {
                let key = Int.random(in: 0..<keys, using: &random)
                let sequence = nextSequence[key]
                nextSequence[key] += 1
                let padding = String(repeating: "x", count: Int.random(in: 16...320, using: &random))
                let value = Array("\(key):\(sequence):\(padding)".utf8)
                let token = UInt64(index)
                let record = ProducerRecord(
                    topic: topic, key: Array("key-\(key)".utf8), value: value,
                    headers: [RecordHeader(key: "seq", string: "\(sequence)")])
                let partition = try producer.send(record, token: token)
                sentRecords.withLockedValue {
                    $0.append(Sent(token: token, key: key, sequence: sequence, partition: partition, value: value))
                }
                index += 1
            }
            try await between(stepNumber)
            stepNumber += 1
            try await Task.sleep(for: pause)
        }
    }

    /// Waits until every record sent has an outcome or `timeout` passes, then closes the producer.
    /// Returns whether every record got its outcome in time and the close was clean.
    func finish(timeout: Duration = .seconds(20)) async -> Bool {
        let producer = self.producer
        // flush() closes lingering batches; its answer is not awaited here (it cannot time out).
        Task { await producer.flush() }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline, reportedCount < sentCount {
            try? await Task.sleep(for: .milliseconds(10))
        }
        let complete = reportedCount == sentCount
        let clean = await producer.close(timeout: .seconds(complete ? 5 : 1))
        return complete && clean
    }

    /// Records sent so far.
    var sentCount: Int { sentRecords.withLockedValue { $0.count } }

    /// Records with an outcome so far.
    var reportedCount: Int { reports.withLockedValue { $0.reduce(0) { $0 + $1.tokens.count } } }

    /// Runs ``DeliveryCheck`` against `log`.
    func check(log: [LoggedRecord]) -> DeliveryCheck.Outcome {
        DeliveryCheck(sent: sentRecords.withLockedValue { $0 }, reports: reports.withLockedValue { $0 }, log: log).run()
    }

    /// What the run sent.
    var sent: [Sent] { sentRecords.withLockedValue { $0 } }

    /// The reports received.
    var deliveryReports: [DeliveryReport] { reports.withLockedValue { $0 } }

    /// The producer's log lines (warnings and errors), last ones first, for failure messages.
    var recentLogs: String { logs.recent }

    /// A one-line summary for failure messages: seed, counters, log tail.
    var summary: String {
        "seed 0x\(String(seed, radix: 16)); counters \(producer.counters.snapshot.sorted { $0.key < $1.key }); producer log: \(recentLogs)"
    }
}

extension FakeKafkaCluster {
    /// Every record of `topic`, for ``DeliveryCheck``.
    func loggedRecords(topic: String) -> [LoggedRecord] {
        (0..<partitionCount(of: topic)).flatMap { partition in
            records(topic: topic, partition: Int32(partition)).map {
                LoggedRecord(
                    partition: Int32(partition), offset: $0.offset, key: $0.key, value: $0.value,
                    origin: "\($0.producerId)/\($0.producerEpoch)/\($0.sequence) by node \($0.node)")
            }
        }
    }
}

/// Keeps the producer's last log lines (level warning and above) for failure messages.
final class LogCapture: LogHandler, Sendable {
    private let lines = NIOLockedValueBox<[String]>([])

    var metadata: Logger.Metadata {
        get { [:] }
        set {}
    }

    var logLevel: Logger.Level {
        get { .info }
        set {}
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { nil }
        set {}
    }

    func log(event: LogEvent) {
        guard event.level >= .warning else { return }
        let text = "\(event.level) \(event.message) \(event.metadata.map { "\($0)" } ?? "")"
        lines.withLockedValue { lines in
            lines.append(text)
            if lines.count > 200 { lines.removeFirst(lines.count - 200) }
        }
    }

    /// The last lines, newest first, joined.
    var recent: String { lines.withLockedValue { $0.suffix(12).reversed().joined(separator: " | ") } }
}
