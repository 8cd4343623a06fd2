import Ferry
import FerryTestSupport
import Foundation
import KafkaWire
import Testing
import FerryTestTags

/// One input whose topic does not exist must not hold up the others: its lines wait in its files (nothing
/// read is held), the other input is delivered in full meanwhile, and once the topic is created the first
/// is delivered in full by itself. Read back with librdkafka.
@Suite("Input isolation end to end", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct InputIsolationEndToEndTests {
    static func committed(_ state: String, path: String) -> Int64 {
        StatusReport.make(stateDirectory: state).rows.first { $0.path == path }?.committed ?? 0
    }

    /// A directory with one log directory per input and the configuration: each input `name` reads
    /// `name/*.log` into its topic.
    static func agentDirectory(_ prefix: String, inputs: [(name: String, topic: String)], bootstrap: String, kafka: String = "") throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory(prefix)
        var text = "state_dir: \(directory.file("state"))\ncheckpoint_interval_ms: 100\nhost_name: iso\ninputs:\n"
        for input in inputs {
            try FileManager.default.createDirectory(atPath: directory.file(input.name), withIntermediateDirectories: true)
            text += "  - name: \(input.name)\n    paths: [\(directory.file(input.name))/*.log]\n    topic: \(input.topic)\n"
        }
        text += "output:\n  kafka:\n    bootstrap.servers: \(bootstrap)\n" + kafka
        try text.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    @Test("two inputs, one to a topic that does not exist: the other is delivered in full; the first once its topic is created")
    func missingTopic() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("iso-good", partitions: 2)
        let directory = try Self.agentDirectory(
            "isolation", inputs: [("good", "iso-good"), ("missing", "iso-missing")], bootstrap: broker.bootstrap,
            kafka: "    allow.auto.create.topics: false\n")
        defer { directory.remove() }
        let goodPath = directory.file("good/app.log")
        let missingPath = directory.file("missing/app.log")
        let goodLines = (0..<200_000).map { "good line \($0) GET /api/v1/items/\($0 % 977) HTTP/1.1 200" }
        let missingLines = (0..<50_000).map { "missing line \($0) POST /api/v1/orders 201" }
        try (missingLines.joined(separator: "\n") + "\n").write(toFile: missingPath, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"))
        // The good input's lines arrive while the other input is refused.
        let goodText = goodLines.joined(separator: "\n") + "\n"
        try goodText.write(toFile: goodPath, atomically: true, encoding: .utf8)
        let goodSize = Int64(goodText.utf8.count)
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Self.committed(directory.file("state"), path: goodPath) < goodSize { usleep(100_000) }
        #expect(Self.committed(directory.file("state"), path: goodPath) == goodSize, "good input not delivered: \(agent.log.suffix(3000))")
        #expect(Self.committed(directory.file("state"), path: missingPath) == 0)
        // Refusals lasting 2 s are logged (every 10 s at most).
        usleep(2_500_000)
        #expect(agent.log.contains("Kafka cannot take this input's records now"), "\(agent.log.suffix(3000))")
        #expect(agent.log.contains("iso-missing"))

        try broker.createTopic("iso-missing", partitions: 2)
        let missingSize = Int64((missingLines.joined(separator: "\n") + "\n").utf8.count)
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Self.committed(directory.file("state"), path: missingPath) < missingSize { usleep(100_000) }
        let exit = agent.terminate()
        #expect(exit.status == 0)
        #expect(Self.committed(directory.file("state"), path: missingPath) == missingSize, "\(agent.log.suffix(3000))")
        #expect(agent.log.contains("input sends again"), "\(agent.log.suffix(2000))")

        for (topic, expected) in [("iso-good", goodLines), ("iso-missing", missingLines)] {
            let out = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: topic, count: expected.count, idle: 5)
            #expect(out.errors.isEmpty, "\(out.errors)")
            let values = out.records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(values.count == expected.count, "\(topic): \(values.count) of \(expected.count)")
            #expect(Set(values) == Set(expected), "\(topic): every line once")
        }
    }

    @Test("two inputs, one to a topic whose every batch is refused (POLICY_VIOLATION, retried): it holds only its share, the other is delivered in full; the first once the broker takes it")
    func refusingTopic() throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        try cluster.createTopic("ok-topic", partitions: 2)
        try cluster.createTopic("refusing", partitions: 2)
        for partition in Int32(0)..<2 {
            cluster.inject(FakeProduceFault(topic: "refusing", partition: partition, error: .policyViolation, requests: 1_000_000))
        }
        let directory = try Self.agentDirectory(
            "isolation-refusing", inputs: [("good", "ok-topic"), ("bad", "refusing")], bootstrap: cluster.bootstrap)
        defer { directory.remove() }
        // More refused bytes than the whole buffer holds, even compressed (random letters): without a share
        // per topic they would take all of it and stall the good input.
        var generator = SeededGenerator(seed: 7)
        let badText = (0..<300_000).map { "bad line \($0) " + String(decoding: generator.bytes(60).map { 0x61 + $0 % 26 }, as: UTF8.self) }
            .joined(separator: "\n") + "\n"
        let goodText = (0..<200_000).map { "good line \($0) GET /api/v1/items/\($0 % 977) HTTP/1.1 200" }.joined(separator: "\n") + "\n"
        let badPath = directory.file("bad/app.log")
        let goodPath = directory.file("good/app.log")
        // The refused input starts first, alone: it fills what it may of the buffer before the other begins.
        try badText.write(toFile: badPath, atomically: true, encoding: .utf8)
        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"))
        usleep(2_000_000)
        try goodText.write(toFile: goodPath, atomically: true, encoding: .utf8)
        var deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Self.committed(directory.file("state"), path: goodPath) < Int64(goodText.utf8.count) { usleep(100_000) }
        #expect(Self.committed(directory.file("state"), path: goodPath) == Int64(goodText.utf8.count), "\(agent.log.suffix(3000))")
        #expect(Self.committed(directory.file("state"), path: badPath) == 0)
        #expect(agent.log.contains("POLICY_VIOLATION"), "\(agent.log.suffix(2000))")
        cluster.clearProduceFaults(topic: "refusing")
        deadline = Date().addingTimeInterval(120)
        while Date() < deadline, Self.committed(directory.file("state"), path: badPath) < Int64(badText.utf8.count) { usleep(100_000) }
        let exit = agent.terminate()
        #expect(exit.status == 0)
        #expect(Self.committed(directory.file("state"), path: badPath) == Int64(badText.utf8.count), "\(agent.log.suffix(3000))")
        for (topic, count) in [("ok-topic", 200_000), ("refusing", 300_000)] {
            var offsets = Set<String>()
            for partition in Int32(0)..<2 {
                for record in cluster.records(topic: topic, partition: partition) {
                    offsets.insert(String(decoding: record.headers.first { $0.key == "log.offset" }?.value ?? [], as: UTF8.self))
                }
            }
            #expect(offsets.count == count, "\(topic): \(offsets.count) distinct lines of \(count)")
        }
    }
}
