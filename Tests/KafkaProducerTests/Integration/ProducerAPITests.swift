import FerryTestSupport
import FerryTestTags
import Foundation
import KafkaProducer
import Logging
import NIOPosix
import ServiceLifecycle
import Synchronization
import Testing

/// The API a Kafka user ports to, against tansu, read back by librdkafka.
@Suite("Producer API as Java users have it", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct ProducerAPITests {
    static func logger() -> Logger {
        var logger = Logger(label: "test.api")
        logger.logLevel = .warning
        return logger
    }

    /// Counts callback outcomes.
    final class Outcomes: Sendable {
        let delivered = Atomic<Int>(0)
        let failed = Atomic<Int>(0)

        func record(_ result: Result<RecordMetadata, ProducerError>) {
            switch result {
            case .success: delivered.add(1, ordering: .relaxed)
            case .failure: failed.add(1, ordering: .relaxed)
            }
        }
    }

    @Test("Java's quick-start, ported: properties with serializers, send with a callback per record, close(); partitionsFor and metrics()")
    func quickStart() async throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("my-topic", partitions: 3)
        let properties = try JavaProperties.parse("""
            bootstrap.servers=\(broker.bootstrap)
            key.serializer=org.apache.kafka.common.serialization.StringSerializer
            value.serializer=org.apache.kafka.common.serialization.StringSerializer
            """)
        let producer = try KafkaProducer(properties: properties, logger: Self.logger())
        let outcomes = Outcomes()
        for i in 0..<100 {
            try producer.send(ProducerRecord(topic: "my-topic", key: String(i), value: String(i))) { outcomes.record($0) }
        }
        let partitions = try await producer.partitionsFor("my-topic")
        #expect(partitions.map(\.partition) == [0, 1, 2])
        for info in partitions {
            #expect(info.leader?.host == "127.0.0.1" && info.leader?.port == Int(broker.bootstrap.split(separator: ":").last!))
            #expect(info.replicas.contains { $0.id == info.leader?.id })
        }
        #expect(await producer.close())
        #expect(outcomes.delivered.load(ordering: .relaxed) == 100 && outcomes.failed.load(ordering: .relaxed) == 0)
        let metrics = producer.metrics()
        #expect(metrics["record-send-total"] == 100 && metrics["record-error-total"] == 0)
        #expect(metrics["ferry-record-delivered-total"] == 100 && metrics["buffer-total-bytes"] == 33_554_432)

        let read = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "my-topic", count: 100, idle: 3)
        #expect(read.errors.isEmpty, "\(read.errors)")
        let pairs = Set(read.records.map { String(decoding: $0.key ?? [], as: UTF8.self) + "=" + String(decoding: $0.value ?? [], as: UTF8.self) })
        #expect(pairs == Set((0..<100).map { "\($0)=\($0)" }))
    }

    @Test("the application's event loop group is used and left running by close; a ServiceGroup runs the producer until graceful shutdown, then it flushes and closes")
    func groupAndService() async throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("service", partitions: 1)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let producer = try KafkaProducer(
            properties: ["bootstrap.servers": broker.bootstrap, "linger.ms": "50"], logger: Self.logger(), eventLoopGroup: group)
        let services = ServiceGroup(services: [producer], logger: Self.logger())
        let outcomes = Outcomes()
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await services.run() }
            for i in 0..<500 {
                try producer.send(ProducerRecord(topic: "service", key: nil, value: "record \(i)")) { outcomes.record($0) }
            }
            // Graceful shutdown while records linger: the service flushes them before it returns.
            await services.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        #expect(outcomes.delivered.load(ordering: .relaxed) == 500 && outcomes.failed.load(ordering: .relaxed) == 0)
        // The group is the application's: still running after close.
        let answer = try await group.next().submit { 42 }.get()
        #expect(answer == 42)
        try await group.shutdownGracefully()
        let read = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "service", count: 500, idle: 3)
        #expect(read.records.count == 500)
    }

    @Test("the Examples run as users would: the quick-start, with its properties in code and from a Java service's producer.properties; the ServiceGroup service until SIGTERM")
    func examples() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("examples", partitions: 2)
        try broker.createTopic("heartbeats", partitions: 1)
        let directory = try TemporaryDirectory("examples")
        defer { directory.remove() }
        let properties = directory.file("producer.properties")
        try Data("""
            # producer.properties of a Java service
            bootstrap.servers=\(broker.bootstrap)
            key.serializer=org.apache.kafka.common.serialization.StringSerializer
            value.serializer=org.apache.kafka.common.serialization.StringSerializer
            acks=all
            enable.idempotence=true
            compression.type=lz4
            linger.ms=5
            send.buffer.bytes=131072
            client.dns.lookup=use_all_dns_ips
            """.utf8).write(to: URL(fileURLWithPath: properties))

        let (inCode, inCodeArguments) = Unprivileged.command("quick-start", [broker.bootstrap, "examples"])
        let first = try Subprocess.run(inCode, inCodeArguments, timeout: 60)
        #expect(first.status == 0, "\(first.stdout) \(first.stderr)")
        #expect(first.stdout.contains("sent 100 records to examples"))
        let (fromFile, fromFileArguments) = Unprivileged.command("quick-start", ["--properties", properties, "examples"])
        let second = try Subprocess.run(fromFile, fromFileArguments, timeout: 60)
        #expect(second.status == 0, "\(second.stdout) \(second.stderr)")
        #expect(second.stderr.contains("property has no effect in this client"), "\(second.stderr)")
        let read = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "examples", count: 200, idle: 3)
        #expect(read.errors.isEmpty, "\(read.errors)")
        var counts: [String: Int] = [:]
        for record in read.records {
            let key = String(decoding: record.key ?? [], as: UTF8.self)
            #expect(record.value == record.key)
            counts[key, default: 0] += 1
        }
        #expect(counts == Dictionary(uniqueKeysWithValues: (0..<100).map { (String($0), 2) }))

        // The service sends a heartbeat every 100 ms; SIGTERM shuts its group down gracefully, exit 0.
        let (service, serviceArguments) = Unprivileged.command("producer-service", [broker.bootstrap, "heartbeats"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: service)
        process.arguments = serviceArguments
        // Its log goes to a file; SIGTERM comes once five beats are acknowledged (each logs its offset), not
        // after a fixed time: a loaded machine may take seconds to start it.
        let log = directory.file("producer-service.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        defer { try? logHandle.close() }
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        let started = Date().addingTimeInterval(60)
        func acknowledged() -> Int {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("offset=") }.count
        }
        while process.isRunning && acknowledged() < 5 && Date() < started { Thread.sleep(forTimeInterval: 0.05) }
        #expect(acknowledged() >= 5, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 0)
        let beats = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "heartbeats", count: 1_000, idle: 2)
        let values = beats.records.sorted { $0.offset < $1.offset }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        #expect(values.count >= 5, "\(values)")
        #expect(values == (1...values.count).map { "beat \($0)" })
    }
}
