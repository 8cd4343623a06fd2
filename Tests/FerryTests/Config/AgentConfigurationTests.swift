import Ferry
import FileTailing
import Testing

@Suite("Agent configuration")
struct AgentConfigurationTests {
    func parse(_ text: String, environment: [String: String] = [:]) throws(ConfigurationErrors) -> AgentConfiguration {
        try AgentConfiguration.parse(text, file: "test.yaml", environment: environment)
    }

    static let minimal = """
        inputs:
          - name: app
            paths: [/var/log/app/*.log]
            topic: logs
        output:
          kafka:
            bootstrap.servers: 127.0.0.1:9092
        """

    @Test("defaults: state dir, intervals, lz4/acks=all/idempotence, headers, raw format, no key")
    func defaults() throws {
        let configuration = try parse(Self.minimal)
        #expect(configuration.stateDirectory == "/var/lib/ferry")
        #expect(configuration.checkpointIntervalMs == 1000 && configuration.shutdownTimeoutMs == 30_000)
        #expect(configuration.forgetAfterHours == 24)
        #expect(configuration.kafka["compression.type"] == "lz4" && configuration.kafka["acks"] == "all")
        #expect(configuration.kafka["enable.idempotence"] == "true" && configuration.kafka["delivery.timeout.ms"] == "0")
        let input = try #require(configuration.inputs.first)
        #expect(input.headers == InputConfiguration.Header.allCases && input.format == .raw && input.key == .none)
        #expect(input.startAt == .beginning && input.maxLineBytes == 1 << 20)
    }

    @Test("defaults: section inherited, inputs override; keys none/path/fixed")
    func inheritance() throws {
        let configuration = try parse("""
            defaults:
              topic: shared
              format: cri
              key: path
              headers: []
            inputs:
              - name: a
                paths: /a/*.log
              - name: b
                paths: [/b/*.log]
                topic: own
                key: "tenant-1"
                format: raw
              - name: c
                paths: [/c/*.log]
                key: {fixed: path}
            output:
              kafka:
                bootstrap.servers: [127.0.0.1:1, 127.0.0.1:2]
            """)
        let inputs = configuration.inputs
        #expect(inputs[0].topic == "shared" && inputs[0].format == .cri && inputs[0].key == .path && inputs[0].headers.isEmpty)
        #expect(inputs[0].paths == ["/a/*.log"])
        #expect(inputs[1].topic == "own" && inputs[1].key == .fixed("tenant-1") && inputs[1].format == .raw)
        #expect(inputs[2].key == .fixed("path"))
        #expect(configuration.kafka["bootstrap.servers"] == "127.0.0.1:1,127.0.0.1:2")
    }

    @Test("${VAR} and ${VAR:-default} in values; $$ is a literal $")
    func interpolation() throws {
        let configuration = try parse("""
            state_dir: ${STATE:-/tmp/state}
            host_name: "$$HOST-${NAME}"
            inputs:
              - name: app
                paths: ["${LOGS}/*.log"]
                topic: logs
            output:
              kafka:
                bootstrap.servers: ${BROKERS}
            """, environment: ["LOGS": "/srv/logs", "BROKERS": "k1:9092", "NAME": "web"])
        #expect(configuration.stateDirectory == "/tmp/state")
        #expect(configuration.hostName == "$HOST-web")
        #expect(configuration.inputs[0].paths == ["/srv/logs/*.log"])
        #expect(configuration.kafka["bootstrap.servers"] == "k1:9092")
    }

    @Test("every problem is reported, in file order, each with its line, column and key")
    func allErrors() {
        do {
            _ = try parse("""
                checkpoint_interval_ms: fast
                inputs:
                  - name: app
                    paths: [relative/*.log]
                    topic: logs
                    colour: blue
                output:
                  kafka:
                    bootstrap.servers: 127.0.0.1:9092
                """)
            Issue.record("expected errors")
        } catch {
            let problems = error.errors
            #expect(problems.count == 3, "\(problems)")
            #expect(problems.map(\.key) == ["checkpoint_interval_ms", "inputs[0].paths[0]", "inputs[0].colour"])
            #expect(problems.map(\.line) == [1, 4, 6])
            #expect(problems.allSatisfy { $0.file == "test.yaml" })
        }
    }

    @Test("every problem in output.kafka is reported at once, at its line; properties the agent owns are refused, never replaced")
    func kafkaProblems() {
        do {
            _ = try parse("""
                inputs:
                  - name: app
                    paths: [/var/log/app/*.log]
                    topic: logs
                output:
                  kafka:
                    bootstrap.servers: 127.0.0.1:9092
                    linger.ms: soon
                    acks: 2
                    buffer.memory: 1000000
                    max.block.ms: 5
                    delivery.timeout.ms: 1000
                    batch.size: -1
                    compresion.type: lz4
                """)
            Issue.record("expected errors")
        } catch {
            let problems = error.errors
            #expect(problems.map(\.key) == [
                "output.kafka.linger.ms", "output.kafka.acks", "output.kafka.buffer.memory", "output.kafka.max.block.ms",
                "output.kafka.delivery.timeout.ms", "output.kafka.batch.size", "output.kafka.compresion.type",
            ], "\(problems)")
            #expect(problems.map(\.line) == Array(8...14))
            #expect(problems.first { $0.key == "output.kafka.buffer.memory" }?.message.contains("pipeline.max_buffered_bytes") == true)
        }
    }

    @Test("Java's \"forever\" (Long.MAX_VALUE) for durations passes ferry check's rules and builds a producer configuration")
    func foreverDurations() throws {
        let configuration = try parse(Self.minimal + "\n    metadata.max.age.ms: 9223372036854775807\n    linger.ms: 9223372036854775807\n")
        #expect(configuration.kafka["metadata.max.age.ms"] == "9223372036854775807")
        #expect(configuration.producerProperties["buffer.memory"] == "\(configuration.maxBufferedBytes)")
    }

    @Test("the tailer configuration follows the inputs and the tailing section")
    func tailerConfiguration() throws {
        let configuration = try parse(Self.minimal + "\ntailing:\n  max_open_files: 7\n  watch_method: poll\n")
        let tailer = configuration.tailerConfiguration
        #expect(tailer.maxOpenFiles == 7 && tailer.watchMethod == .poll)
        #expect(tailer.inputs.map(\.include) == [["/var/log/app/*.log"]])
        #expect(tailer.validate().isEmpty)
    }
}
