import Ferry
import FerryTestSupport
import Foundation
import KafkaWire
import Testing
import FerryTestTags

/// `ferry run` against the fake cluster, one failure class at a time: every line ends delivered, or counted
/// as lost with its reason (and logged), and every file's checkpoint reaches its end; no failure parks a
/// file. The agent runs unprivileged, as deployed.
@Suite("Agent under broker faults", .serialized, .tags(.childProcess), .needsChildProcesses)
struct AgentFaultEndToEndTests {
    enum FailureClass: String, CaseIterable, Sendable, CustomTestStringConvertible {
        case retriable, nonRetriable, fatalInitProducerId, fencedEpoch, connectionClosedMidRequest, brokerGoneForAMinute
        var testDescription: String { rawValue }
    }

    static let topic = "faults"
    static let linesPerFile = 10_000

    /// The lines of file `name`, and the offset of each.
    static func lines(_ name: String) -> (text: String, offsets: [Int64]) {
        var text = ""
        var offsets: [Int64] = []
        for index in 0..<linesPerFile {
            offsets.append(Int64(text.utf8.count))
            text += "\(name) line \(index) GET /api/v1/items/\(index % 977) HTTP/1.1 200 \(String(repeating: "x", count: index % 50))\n"
        }
        return (text, offsets)
    }

    static func append(_ path: String, _ text: Substring) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(text.utf8))
        try handle.close()
    }

    static func committed(_ state: String) -> [String: Int64] {
        Dictionary(StatusReport.make(stateDirectory: state).rows.map { ($0.path, $0.committed) }, uniquingKeysWith: max)
    }

    @Test("each failure class: every line delivered or counted lost by reason, every checkpoint at the end of its file", arguments: FailureClass.allCases)
    func failureClass(_ failure: FailureClass) throws {
        let cluster = try FakeKafkaCluster(brokers: 2)
        defer { cluster.stop() }
        try cluster.createTopic(Self.topic, partitions: 4, leaders: [1, 2, 1, 2])
        let directory = try TemporaryDirectory("faults-\(failure.rawValue)")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("logs"), withIntermediateDirectories: true)
        try """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            host_name: faults
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: \(Self.topic)
                key: path
            output:
              kafka:
                bootstrap.servers: \(cluster.bootstrap)
                request.timeout.ms: 3000
                linger.ms: 5
                batch.size: 16384
            """.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        let names = ["a", "b"]
        let files = names.map { (name: $0, path: directory.file("logs/\($0).log"), content: Self.lines($0)) }
        for file in files { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }

        // Faults armed before the first line.
        switch failure {
        case .retriable:
            for partition in Int32(0)..<4 {
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .notEnoughReplicas, requests: 5))
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .notLeaderOrFollower, requests: 2))
            }
        case .nonRetriable:
            for partition in Int32(0)..<4 {
                // Fixed by the operator after a while (the agent retries it): delivered.
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .topicAuthorizationFailed, requests: 6))
                // Refuses the records themselves: that batch is counted as lost.
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .invalidRecord, requests: 1))
            }
        case .fatalInitProducerId:
            cluster.failInitProducerId(.clusterAuthorizationFailed, requests: 4)
        case .fencedEpoch:
            for partition in Int32(0)..<4 {
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .producerFenced, requests: 1))
                cluster.inject(FakeProduceFault(topic: Self.topic, partition: partition, error: .invalidProducerEpoch, requests: 1))
            }
        case .connectionClosedMidRequest:
            cluster.inject(FakeConnectionFault(.closeAfterApplying, api: .produce, requests: 4))
            cluster.inject(FakeConnectionFault(.closeBeforeApplying, api: .produce, requests: 4))
        case .brokerGoneForAMinute:
            break
        }

        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"))
        // The first half of each file, then what the class does in the middle of the run, then the rest.
        for file in files {
            let text = file.content.text
            let half = text.utf8.index(text.startIndex, offsetBy: Int(file.content.offsets[Self.linesPerFile / 2]))
            try Self.append(file.path, text[..<half])
        }
        let halfway = files.map { $0.content.offsets[Self.linesPerFile / 2] }.reduce(0, +)
        var deadline = Date().addingTimeInterval(60)
        while Date() < deadline, Self.committed(directory.file("state")).values.reduce(0, +) < halfway { usleep(100_000) }
        switch failure {
        case .fatalInitProducerId:
            // The broker forgets the producer, then refuses producer ids for a while: the producer asks
            // again (it is not left fatal), and sends what it held under the new id.
            cluster.failInitProducerId(.clusterAuthorizationFailed, requests: 4)
            cluster.forgetProducers()
        case .brokerGoneForAMinute:
            cluster.setUnavailable(true)
        default:
            break
        }
        for file in files {
            let text = file.content.text
            let half = text.utf8.index(text.startIndex, offsetBy: Int(file.content.offsets[Self.linesPerFile / 2]))
            try Self.append(file.path, text[half...])
        }
        if failure == .brokerGoneForAMinute {
            usleep(60_000_000)
            #expect(agent.isRunning)
            cluster.setUnavailable(false)
        }
        let sizes = Dictionary(uniqueKeysWithValues: files.map { ($0.path, Int64($0.content.text.utf8.count)) })
        deadline = Date().addingTimeInterval(120)
        var checkpoint: [String: Int64] = [:]
        while Date() < deadline {
            checkpoint = Self.committed(directory.file("state"))
            if sizes.allSatisfy({ checkpoint[$0.key] == $0.value }) { break }
            usleep(100_000)
        }
        let exit = agent.terminate()
        let log = agent.log
        #expect(exit.status == 0, "exit \(exit.status): \(log.suffix(2000))")
        #expect(sizes.allSatisfy { checkpoint[$0.key] == $0.value }, "checkpoint \(checkpoint) vs sizes \(sizes): \(log.suffix(3000))")

        // What reached the log, by file and offset.
        var delivered: [String: Set<Int64>] = [:]
        for partition in Int32(0)..<4 {
            for record in cluster.records(topic: Self.topic, partition: partition) {
                let headers = Dictionary(record.headers.map { ($0.key, $0.value ?? []) }, uniquingKeysWith: { first, _ in first })
                let path = String(decoding: headers["log.file.path"] ?? [], as: UTF8.self)
                let offset = Int64(String(decoding: headers["log.offset"] ?? [], as: UTF8.self)) ?? -1
                delivered[path, default: []].insert(offset)
            }
        }
        var missing = 0
        for file in files {
            missing += file.content.offsets.filter { !(delivered[file.path]?.contains($0) ?? false) }.count
        }
        // Records counted as lost, from the agent's log lines.
        let lostLines = log.split(separator: "\n").filter { $0.contains("records lost") }
        let lost = lostLines.reduce(0) { total, line in
            total + (line.split(separator: " ").first { $0.hasPrefix("records=") }.flatMap { Int($0.dropFirst("records=".count)) } ?? 0)
        }
        print("faults \(failure.rawValue): lines \(files.count * Self.linesPerFile), missing \(missing), counted lost \(lost), fired \(cluster.stats.faultsFired.count), producer ids \(cluster.stats.producerIdsIssued), epoch bumps \(cluster.stats.epochBumps), connections \(cluster.stats.connectionsAccepted)")
        #expect(missing == lost, "every missing line is counted lost (missing \(missing), lost \(lost)): \(lostLines.prefix(3))")
        if failure == .nonRetriable {
            #expect(lost > 0 && lostLines.allSatisfy { $0.contains("reason=refused_by_broker") }, "\(lostLines)")
        } else {
            #expect(lost == 0, "\(lostLines.prefix(3))")
        }
        #expect(!log.contains("bytes lost"), "\(log.suffix(2000))")
        #expect(cluster.violations.isEmpty, "\(cluster.violations.prefix(5))")
        switch failure {
        case .fatalInitProducerId:
            #expect(log.contains("refuses a producer id"), "\(log.suffix(2000))")
            #expect(cluster.stats.producerIdsIssued >= 2)
        case .fencedEpoch, .retriable, .nonRetriable, .connectionClosedMidRequest:
            #expect(!cluster.stats.faultsFired.isEmpty)
        case .brokerGoneForAMinute:
            #expect(cluster.stats.connectionsAccepted > 2)
        }
    }
}
