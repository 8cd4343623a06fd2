import FerryTestSupport
import Foundation

/// A directory with the agent's configuration, its state and its log files, and the three-input layout the
/// end-to-end tests use.
struct AgentHarness {
    let directory: TemporaryDirectory
    let bootstrap: String
    let topics: [String]

    var configPath: String { directory.file("ferry.yaml") }
    var stateDirectory: String { directory.file("state") }
    func logDirectory(_ input: String) -> String { directory.file("logs-\(input)") }

    /// Creates the directories and the configuration: inputs `a` (key path), `b` (no key), `c` (key path),
    /// each reading `logs-NAME/*.log` into topic `PREFIX-NAME`.
    /// `topLevel`: more YAML at the top level (an `http:` section, say).
    init(
        prefix: String, bootstrap: String, extraKafka: [String: String] = [:], maxBufferedBytes: Int = 8 << 20,
        topLevel: String = ""
    ) throws {
        directory = try TemporaryDirectory("agent-\(prefix)")
        self.bootstrap = bootstrap
        topics = ["a", "b", "c"].map { "\(prefix)-\($0)" }
        for input in ["a", "b", "c"] {
            try FileManager.default.createDirectory(atPath: directory.file("logs-\(input)"), withIntermediateDirectories: true)
        }
        var kafka = "    bootstrap.servers: \(bootstrap)\n"
        for (key, value) in extraKafka.sorted(by: { $0.key < $1.key }) { kafka += "    \(key): \(value)\n" }
        let text = """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 200
            shutdown_timeout_ms: 20000
            host_name: test-host
            inputs:
              - name: a
                paths: [\(directory.file("logs-a"))/*.log]
                topic: \(prefix)-a
                key: path
              - name: b
                paths: [\(directory.file("logs-b"))/*.log]
                topic: \(prefix)-b
                key: none
              - name: c
                paths: [\(directory.file("logs-c"))/*.log]
                topic: \(prefix)-c
                key: path
            tailing:
              close_inactive_ms: 1000
              sweep_interval_ms: 2000
            pipeline:
              max_buffered_bytes: \(maxBufferedBytes)
            \(topLevel)
            output:
              kafka:
            \(kafka)
            """
        try text.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// 20 files over the three inputs (8, 8, 4), `linesPerFile` lines each; a third of the files of the
    /// inputs with a path key are rotated half way.
    func workload(linesPerFile: Int) -> LogWorkload {
        var files: [LogWorkload.FileSpec] = []
        for (input, count) in [("a", 8), ("b", 8), ("c", 4)] {
            for index in 0..<count {
                let rotate = input != "b" && index % 3 == 0 ? linesPerFile / 2 : nil
                files.append(LogWorkload.FileSpec(
                    input: input, directory: logDirectory(input), name: "file\(index).log", lines: linesPerFile, rotateAfter: rotate))
            }
        }
        return LogWorkload(files: files, hostName: "test-host")
    }

    /// Reads the three topics back with librdkafka: until each has at least the lines its input wrote
    /// and then 1 s without more (duplicates would come in that second), or 10 s of silence.
    func consume(_ workload: LogWorkload) throws -> (records: [ConsumedRecord], errors: [String]) {
        var records: [ConsumedRecord] = []
        var errors: [String] = []
        for (input, topic) in zip(["a", "b", "c"], topics) {
            let expected = workload.files.filter { $0.input == input }.reduce(0) { $0 + $1.lines }
            let outcome = try IndependentConsumer.consume(bootstrap: bootstrap, topic: topic, count: expected, idle: 10, timeout: 300)
            records += outcome.records
            errors += outcome.errors
        }
        return (records, errors)
    }

    func remove() { directory.remove() }
}
