import FerryTestSupport
import KafkaWire
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing

@testable import KafkaProducer

/// Connects the producer core to an ``EmbeddedFakeCluster``: in-memory channels, no socket.
struct EmbeddedConnector: BrokerConnector {
    let cluster: EmbeddedFakeCluster

    func connect(
        to address: BrokerAddress, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        cluster.connect(port: address.port, initialize: initialize)
    }
}

/// The producer core as ``KafkaProducer`` wires it (accumulator, core, compression), on one
/// `EmbeddedEventLoop` whose virtual time is the core's clock, talking to an ``EmbeddedFakeCluster``.
/// Nothing runs unless the test says so: ``settle()`` runs what is due now and lets the brokers answer
/// until nothing moves, ``advance(milliseconds:)`` moves time one millisecond at a time, settling each.
/// One thread: a test using it must not be `async` (it would hop threads).
final class CoreHarness {
    let loop = EmbeddedEventLoop()
    let cluster: EmbeddedFakeCluster
    let configuration: ProducerConfiguration
    let accumulator: RecordAccumulator
    let core: ProducerCore
    let logs = LogCapture()
    private let reports = NIOLockedValueBox<[DeliveryReport]>([])
    private var nextToken: UInt64 = 1
    /// The loop's time when the harness started (nanoseconds).
    let start: UInt64

    /// A core configured by `properties` (over these defaults: `bootstrap.servers` = every broker,
    /// `linger.ms` = 0) in front of `brokers` fake brokers; `prepare` runs on the cluster before the core starts.
    init(
        brokers: Int = 1, options: FakeKafkaOptions = FakeKafkaOptions(), properties: [String: String] = [:],
        prepare: (EmbeddedFakeCluster) throws -> Void = { _ in }
    ) throws {
        // Time starts at 1 s: 0 stands for "not set" in places.
        loop.advanceTime(to: .uptimeNanoseconds(1_000_000_000))
        start = loop.now.uptimeNanoseconds
        let cluster = EmbeddedFakeCluster(brokers: brokers, options: options, loop: loop)
        self.cluster = cluster
        try prepare(cluster)
        var all = ["bootstrap.servers": cluster.bootstrap, "linger.ms": "0"]
        all.merge(properties) { $1 }
        let configuration = try ProducerConfiguration(properties: all)
        self.configuration = configuration
        let loop = self.loop
        let clock: @Sendable () -> UInt64 = { loop.now.uptimeNanoseconds }
        let coreBox = NIOLockedValueBox<ProducerCore?>(nil)
        accumulator = RecordAccumulator(configuration: configuration, clock: clock) { reason in
            loop.execute { coreBox.withLockedValue { $0 }?.wake(reason) }
        }
        let reports = self.reports
        let logs = self.logs
        let logger = Logger(label: "test.core") { _ in logs }
        core = ProducerCore(
            configuration: configuration, eventLoop: loop, logger: logger, accumulator: accumulator,
            compression: try .inline(compression: configuration.compressionType, level: configuration.compressionLevel),
            counters: ProducerCounters(), connector: EmbeddedConnector(cluster: cluster), clock: clock,
            onDelivery: { report in reports.withLockedValue { $0.append(report) } })
        let core = self.core
        coreBox.withLockedValue { $0 = core }
        core.requestMetadataIfNeeded()
        settle()
    }

    /// Milliseconds since the harness started.
    var elapsedMs: UInt64 { (loop.now.uptimeNanoseconds - start) / 1_000_000 }

    /// `at` (a loop time) in milliseconds since the harness started.
    func ms(_ at: UInt64) -> UInt64 { (at - start) / 1_000_000 }

    /// Runs what is due now and lets the brokers answer, until nothing is left to do at this instant.
    func settle() {
        for _ in 0..<10_000 {
            loop.run()
            if cluster.serve() == 0 {
                loop.run()
                if cluster.serve() == 0 { return }
            }
        }
        Issue.record("the core and the cluster never settled")
    }

    /// Moves virtual time forward, one millisecond at a time, settling after each.
    func advance(milliseconds: Int) {
        for _ in 0..<milliseconds {
            loop.advanceTime(by: .milliseconds(1))
            settle()
        }
    }

    /// Advances (up to `limit` ms) until `condition` holds; whether it did.
    @discardableResult
    func advance(until condition: () -> Bool, limit milliseconds: Int = 10_000) -> Bool {
        for _ in 0..<milliseconds {
            if condition() { return true }
            advance(milliseconds: 1)
        }
        return condition()
    }

    /// Appends one record (value `value`) without waiting: nil when the accumulator would wait for
    /// metadata or memory (`would_block`), else the record's token. Batches it closes go to the core.
    func trySend(_ value: String, topic: String = "t", partition: Int32? = nil) throws -> UInt64? {
        let token = nextToken
        let accumulator = self.accumulator
        do {
            let (_, closed) = try Array(value.utf8).withUnsafeBytes { bytes in
                try accumulator.append(
                    topic: topic, partition: partition, timestamp: 1_700_000_000_000, key: nil, value: bytes, headerCount: 0,
                    headersSize: 0, writeHeaders: { _ in }, token: token, wait: .never(RecordAccumulator.WaitTicket()))
            }
            nextToken += 1
            if !closed.isEmpty { core.submit(closed) }
            settle()
            return token
        } catch let error as ProducerError where error.code == .wouldBlock {
            settle()
            return nil
        }
    }

    /// Appends one record, advancing time (up to 10 s) while the accumulator waits for metadata.
    func send(_ value: String, topic: String = "t", partition: Int32? = nil) throws -> UInt64 {
        for _ in 0..<10_000 {
            if let token = try trySend(value, topic: topic, partition: partition) { return token }
            advance(milliseconds: 1)
        }
        throw ProducerError(.metadataTimeout, "no metadata for \(topic) within 10 s of virtual time")
    }

    /// The outcome of every record reported so far, by token.
    var outcomes: [UInt64: Result<Int64, ProducerError>] {
        var result: [UInt64: Result<Int64, ProducerError>] = [:]
        for report in reports.withLockedValue({ $0 }) {
            for (index, token) in report.tokens.enumerated() {
                if let error = report.error {
                    result[token] = .failure(error)
                } else {
                    result[token] = .success(report.baseOffset >= 0 ? report.baseOffset + Int64(index) : -1)
                }
            }
        }
        return result
    }

    /// Whether the record `token` was reported delivered.
    func delivered(_ token: UInt64) -> Bool {
        if case .success = outcomes[token] { return true }
        return false
    }

    /// The values in a partition's log, in order.
    func log(topic: String = "t", partition: Int32 = 0) -> [String] {
        cluster.records(topic: topic, partition: partition).map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    /// The loop times (ms since start) of the requests of `api` the brokers received.
    func requestTimes(_ api: KafkaApiKey) -> [UInt64] {
        cluster.requests.filter { $0.api == api }.map { ms($0.at) }
    }

    /// Closes the core as `close` does: what is pending fails, connections close.
    func shutDown() {
        core.shutDown()
        settle()
    }
}
