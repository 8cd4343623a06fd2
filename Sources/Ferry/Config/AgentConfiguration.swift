import Checkpointing
import FileTailing
import KafkaProducer

/// Everything `ferry run` is told by its configuration file (see `etc/ferry.yaml` and README.md for every
/// key with its default).
public struct AgentConfiguration: Sendable, Equatable {
    /// Where checkpoints live (`state_dir`, default `/var/lib/ferry`).
    public var stateDirectory: String = "/var/lib/ferry"
    /// Where `state_dir` is set in the file (line, column), nil for the default: problems with the directory
    /// found later (`ferry check`, start-up) name it.
    public var stateDirectoryLocation: SourceLocation? = nil
    /// How often checkpoints are written at most (`checkpoint_interval_ms`, default 1000).
    public var checkpointIntervalMs: Int = 1000
    /// How long a stop waits for in-flight acknowledgements (`shutdown_timeout_ms`, default 30000).
    public var shutdownTimeoutMs: Int = 30_000
    /// Checkpoint entries of files gone this long are dropped (`forget_after_hours`, default 24).
    public var forgetAfterHours: Int = 24
    /// What to do when no checkpoint generation is readable (`on_corrupt_checkpoint`, default `beginning`).
    public var onCorruptCheckpoint: StartPosition = .beginning
    /// The `host.name` header (`host_name`, default: the machine's host name).
    public var hostName: String? = nil
    /// The inputs.
    public var inputs: [InputConfiguration] = []
    /// Tailer-wide options (`tailing:`).
    public var tailing = TailingOptions()
    /// Producer properties by their Kafka names (`output.kafka:`), after Ferry's defaults.
    public var kafka: [String: String] = [:]
    /// The `output.kafka` keys whose value in the file is a secret written out (not only `${VAR}`
    /// references): `sasl.password`, `ssl.key.password`, `sasl.jaas.config`...
    public var secretsInFile: [String] = []
    /// Warnings about the configuration that do not stop Ferry (a file readable by every user holding a
    /// secret), printed by `ferry check` and logged at start.
    public var warnings: [String] = []
    /// Bytes of records the agent holds between reading and Kafka's acknowledgement before it pauses
    /// reading (`pipeline.max_buffered_bytes`, default 4 MiB: enough for a broker on the local network;
    /// raise it for a distant one, where more bytes must be in flight to keep the link busy).
    public var maxBufferedBytes: Int = 4 << 20
    /// `http.listen`: address of the metrics and health endpoint (`host:port`), or nil.
    public var httpListen: String? = nil
    /// `http.health_stall_seconds`: `/health` answers 503 when data is pending and nothing was acknowledged
    /// for this long (default 60).
    public var healthStallSeconds: Int = 60
    /// `http.metrics_per_file`: whether `/metrics` has a lag series per file (off: per input only, so that
    /// the number of series stays bounded however many files come and go).
    public var metricsPerFile: Bool = false
    /// `log.format`: how `ferry run` writes its log lines (`logfmt`, the default, or `json`).
    public var logFormat: LogFormat = .logfmt

    /// Makes the defaults (no inputs).
    public init() {}

    /// The producer properties Ferry sets unless the file says otherwise: every guarantee on, lz4, batches
    /// sized for throughput.
    public static let kafkaDefaults: [String: String] = [
        "acks": "all", "enable.idempotence": "true", "compression.type": "lz4", "linger.ms": "20",
        "batch.size": "262144", "max.request.size": "1048576", "client.id": "ferry",
    ]

    /// Properties the agent must control, with the value it uses and why: delivery must never time out
    /// (files are the buffer), and reading must never wait for Kafka (a topic that cannot take records
    /// pauses only its own input). A user may repeat the agent's value; any other value is an error.
    static let agentOwnedProperties: [String: (value: String?, why: String)] = [
        "delivery.timeout.ms": ("0", "the agent never gives up on a record (files are the buffer)"),
        "retries": ("2147483647", "the agent never gives up on a record (files are the buffer)"),
        "ferry.retry.all.errors": ("true", "the agent retries every error until its cause is fixed"),
        "buffer.memory": (nil, "the agent sizes it from pipeline.max_buffered_bytes: set that instead"),
        "max.block.ms": (nil, "the agent never waits for Kafka while reading: a topic that cannot take records pauses only its input"),
    ]

    /// The properties the agent's producer runs with: `output.kafka` (with the agent's own values),
    /// `buffer.memory` from `pipeline.max_buffered_bytes`, and `max.block.ms` (how long the reader may wait
    /// for Kafka).
    public var producerProperties: [String: String] {
        var properties = kafka
        for (key, value) in Self.agentOwnedValues { properties[key] = value }
        properties["buffer.memory"] = "\(bufferBudget.total)"
        // Never wait for Kafka while reading: a topic that cannot take records defers its own input's lines.
        properties["max.block.ms"] = "0"
        return properties
    }

    /// How the buffer is shared: each topic may hold at most `perTopic` bytes (so that a topic that cannot be
    /// written to cannot take the others' room), `total` in all. `pipeline.max_buffered_bytes` divided by
    /// the number of topics, but at least 1 MiB per topic (then the total grows to 1 MiB per topic).
    public var bufferBudget: (perTopic: Int, total: Int) {
        let topics = max(1, Set(inputs.map(\.topic)).count)
        let perTopic = topics == 1 ? maxBufferedBytes : max(maxBufferedBytes / topics, min(maxBufferedBytes, 1 << 20))
        return (perTopic, max(maxBufferedBytes, perTopic * topics))
    }

    /// The values the agent gives its own properties (those with a fixed value).
    static var agentOwnedValues: [String: String] {
        agentOwnedProperties.compactMapValues { $0.value }
    }
}

/// One input of the agent: files, where they go, and how their lines become records.
public struct InputConfiguration: Sendable, Equatable {
    /// How a record's key is chosen.
    public enum KeyMode: Sendable, Equatable {
        /// No key: sticky partitioning (batches fill one partition, then move on).
        case none
        /// The file's path: all lines of a file in one partition, in order.
        case path
        /// The same key for every record.
        case fixed(String)
    }

    /// How lines are read.
    public enum Format: String, Sendable, Equatable, CaseIterable {
        /// The line is the record value.
        case raw
        /// Docker's json-file driver: the value is the `log` field (without its final newline); `stream` is a header.
        case dockerJSON = "docker-json"
        /// The CRI log format of containerd/CRI-O: `time stream P|F text`; `P` pieces are joined up to the `F`.
        case cri
    }

    /// Headers added to every record.
    public enum Header: String, Sendable, Equatable, CaseIterable {
        case path = "log.file.path"
        case offset = "log.offset"
        case host = "host.name"
        /// On the pieces of a line longer than one record may be: `P<n>` while more follow, `F<n>` on the
        /// last (n from 0). Whole lines do not carry it.
        case piece = "log.piece"
    }

    public var name: String
    public var paths: [String]
    public var exclude: [String] = []
    public var startAt: StartAt = .beginning
    public var topic: String
    public var key: KeyMode = .none
    public var format: Format = .raw
    public var maxLineBytes: Int = TailInput.defaultMaxLineBytes
    public var longLinePolicy: LongLinePolicy = .split
    public var partialLineTimeoutMs: Int? = nil
    public var headers: [Header] = Header.allCases

    public init(name: String, paths: [String], topic: String) {
        self.name = name
        self.paths = paths
        self.topic = topic
    }
}

/// Tailer-wide options (`tailing:`), each defaulting to the tailer's own default.
public struct TailingOptions: Sendable, Equatable {
    public var maxOpenFiles = 1024
    public var closeInactiveMs = 60_000
    public var sweepIntervalMs = 30_000
    public var pollIntervalMs = 1_000
    public var readChunkBytes = 256 * 1024
    public var watchMethod: WatchMethod = .auto

    public init() {}
}

/// A position in a configuration file (1-based).
public struct SourceLocation: Sendable, Equatable {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) {
        self.line = line
        self.column = column
    }
}
