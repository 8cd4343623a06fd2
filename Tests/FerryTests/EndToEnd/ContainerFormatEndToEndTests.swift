import Ferry
import FerryTestSupport
import Foundation
import Testing
import FerryTestTags

/// docker-json and CRI logs through `ferry run`, read back by librdkafka.
@Suite("Container formats end to end", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct ContainerFormatEndToEndTests {
    @Test("docker json-file and CRI: the text is the value, stream a header, pieces joined, foreign lines shipped raw")
    func containerLogs() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("docker", partitions: 1)
        try broker.createTopic("cri", partitions: 1)
        let directory = try TemporaryDirectory("containers")
        defer { directory.remove() }
        for name in ["docker", "cri"] {
            try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: true)
        }
        let config = """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            host_name: h
            defaults:
              headers: [log.offset]
            inputs:
              - name: docker
                paths: [\(directory.file("docker"))/*.log]
                format: docker-json
                topic: docker
              - name: cri
                paths: [\(directory.file("cri"))/*.log]
                format: cri
                topic: cri
            output:
              kafka:
                bootstrap.servers: \(broker.bootstrap)
                linger.ms: 5
            """
        try config.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        let docker = [
            #"{"log":"hello \"docker\"\n","stream":"stdout","time":"2024-01-01T00:00:00.000000001Z"}"#,
            #"{"log":"first piece, ","stream":"stderr","time":"2024-01-01T00:00:00.000000002Z"}"#,
        ].joined(separator: "\n") + "\n"
        let dockerRest = [
            #"{"log":"second piece\n","stream":"stderr","time":"2024-01-01T00:00:00.000000003Z"}"#,
            "not json at all",
            #"{"log":"caf\u00e9 \t tab\n","stream":"stdout","time":"2024-01-01T00:00:00.000000004Z"}"#,
        ].joined(separator: "\n") + "\n"
        let cri = "2024-01-01T00:00:00.000000001Z stdout F full line\n2024-01-01T00:00:00.000000002Z stderr P part one, \n"
        let criRest = "2024-01-01T00:00:00.000000003Z stderr P part two, \n2024-01-01T00:00:00.000000004Z stderr F the end\nplain text line\n"
        try docker.write(toFile: directory.file("docker/c1.log"), atomically: false, encoding: .utf8)
        try cri.write(toFile: directory.file("cri/c1.log"), atomically: false, encoding: .utf8)
        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"))
        usleep(1_500_000)
        // The rest arrives later: the pieces must be joined across reads.
        for (path, text) in [(directory.file("docker/c1.log"), dockerRest), (directory.file("cri/c1.log"), criRest)] {
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            handle.write(Data(text.utf8))
            try handle.close()
        }
        let dockerRecords = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "docker", count: 4, idle: 10)
        let criRecords = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "cri", count: 3, idle: 10)
        let exit = agent.terminate()
        #expect(exit.status == 0, "\(agent.log.suffix(2000))")
        func describe(_ records: [ConsumedRecord]) -> [String] {
            records.sorted { $0.offset < $1.offset }.map { record in
                let value = String(decoding: record.value ?? [], as: UTF8.self)
                let stream = record.header("stream").map { String(decoding: $0, as: UTF8.self) } ?? "-"
                let offset = record.header("log.offset").map { String(decoding: $0, as: UTF8.self) } ?? "-"
                return "\(value)|\(stream)|\(offset)"
            }
        }
        let firstDockerLine = docker.split(separator: "\n")[0].utf8.count + 1
        #expect(describe(dockerRecords.records) == [
            "hello \"docker\"|stdout|0",
            "first piece, second piece|stderr|\(firstDockerLine)",
            "not json at all|-|\(docker.utf8.count + dockerRest.split(separator: "\n")[0].utf8.count + 1)",
            "café \t tab|stdout|\(docker.utf8.count + dockerRest.split(separator: "\n")[0...1].reduce(0) { $0 + $1.utf8.count + 1 })",
        ])
        let firstCRILine = cri.split(separator: "\n")[0].utf8.count + 1
        #expect(describe(criRecords.records) == [
            "full line|stdout|0",
            "part one, part two, the end|stderr|\(firstCRILine)",
            "plain text line|-|\(cri.utf8.count + criRest.split(separator: "\n")[0...1].reduce(0) { $0 + $1.utf8.count + 1 })",
        ])
    }
}
