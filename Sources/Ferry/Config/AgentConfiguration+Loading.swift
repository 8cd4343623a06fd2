import Checkpointing
import FileTailing
import KafkaProducer

#if canImport(Glibc)
import Glibc
#endif

extension AgentConfiguration {
    /// Reads and checks `path`. Throws ``ConfigurationErrors`` listing every problem (file, line, column,
    /// key, message).
    /// `-` reads standard input (a configuration piped in, or a container's mounted secret): errors then name
    /// `(standard input)`.
    public static func load(path: String, environment: [String: String]) throws(ConfigurationErrors) -> AgentConfiguration {
        let text: String
        let name = path == "-" ? "(standard input)" : path
        switch readWholeFile(path) {
        case .success(let contents): text = contents
        case .failure(let failure):
            throw ConfigurationErrors(errors: [ConfigurationError(.unreadable, file: name, line: 0, column: 0, key: "", failure.message)])
        }
        var configuration = try parse(text, file: name, environment: environment)
        configuration.warnings += secretExposure(path: path, secrets: configuration.secretsInFile)
        return configuration
    }

    /// A warning when `path` holds `secrets` and every user may read it (mode o+r).
    static func secretExposure(path: String, secrets: [String]) -> [String] {
        var status = stat()
        guard !secrets.isEmpty, stat(path, &status) == 0, status.st_mode & S_IROTH != 0 else { return [] }
        let mode = String(status.st_mode & 0o777, radix: 8)
        let keys = secrets.map { "output.kafka.\($0)" }.joined(separator: ", ")
        return [
            "\(path) is readable by every user (mode 0\(mode)) and holds \(keys): chmod o-r it (0640 with the service's group, or 0600), or take the secret from ${VAR} or sasl.password.file"
        ]
    }

    /// Checks configuration text (named `file` in errors).
    public static func parse(_ text: String, file: String, environment: [String: String]) throws(ConfigurationErrors) -> AgentConfiguration {
        let root: YAMLNode
        do {
            root = try YAMLParser.parse(text)
        } catch {
            throw ConfigurationErrors(errors: [
                ConfigurationError(.syntax, file: file, line: error.line, column: error.column, key: "", error.message)
            ])
        }
        let reader = ConfigReader(file: file, environment: environment)
        var configuration = AgentConfiguration()
        configuration.read(root, reader)
        if reader.errors.isEmpty { configuration.crossCheck(root, reader) }
        guard reader.errors.isEmpty else {
            throw ConfigurationErrors(errors: reader.errors.sorted { ($0.line, $0.column) < ($1.line, $1.column) })
        }
        return configuration
    }

    static let topLevelKeys = [
        "state_dir", "checkpoint_interval_ms", "shutdown_timeout_ms", "forget_after_hours", "on_corrupt_checkpoint",
        "host_name", "defaults", "inputs", "tailing", "output", "pipeline", "http", "log",
    ]
    static let inputKeys = [
        "name", "paths", "exclude", "start_at", "topic", "key", "format", "max_line_bytes", "long_line_policy",
        "partial_line_timeout_ms", "headers",
    ]
    static let defaultKeys = ["start_at", "topic", "key", "format", "max_line_bytes", "long_line_policy", "partial_line_timeout_ms", "headers"]

    private mutating func read(_ root: YAMLNode, _ reader: ConfigReader) {
        if case .null = root.value {
            reader.fail(.missingKey, root, "inputs", "the file is empty: at least one input is required")
            return
        }
        guard let top = reader.mapping(root, "", known: Self.topLevelKeys) else { return }
        if let node = top["state_dir"], let value = reader.string(node, "state_dir") {
            if value.isEmpty || !value.hasPrefix("/") {
                reader.fail(.invalidValue, node, "state_dir", "must be an absolute path")
            } else {
                stateDirectory = value
                stateDirectoryLocation = SourceLocation(line: node.line, column: node.column)
            }
        }
        if let node = top["checkpoint_interval_ms"], let value = reader.integer(node, "checkpoint_interval_ms", range: 10...600_000) {
            checkpointIntervalMs = value
        }
        if let node = top["shutdown_timeout_ms"], let value = reader.integer(node, "shutdown_timeout_ms", range: 0...3_600_000) {
            shutdownTimeoutMs = value
        }
        if let node = top["forget_after_hours"], let value = reader.integer(node, "forget_after_hours", range: 1...87_600) {
            forgetAfterHours = value
        }
        if let node = top["on_corrupt_checkpoint"], let value = reader.choice(node, "on_corrupt_checkpoint", StartPosition.self) {
            onCorruptCheckpoint = value
        }
        if let node = top["host_name"], let value = reader.string(node, "host_name") { hostName = value }
        if let node = top["tailing"] { readTailing(node, reader) }
        if let node = top["pipeline"], let pipeline = reader.mapping(node, "pipeline", known: ["max_buffered_bytes"]),
            let size = pipeline["max_buffered_bytes"],
            let value = reader.integer(size, "pipeline.max_buffered_bytes", range: (1 << 20)...(1 << 34))
        {
            maxBufferedBytes = value
        }
        if let node = top["http"], let http = reader.mapping(node, "http", known: ["listen", "health_stall_seconds", "metrics_per_file"]) {
            if let listen = http["listen"], let value = reader.string(listen, "http.listen") {
                if BrokerAddress(parsing: value) == nil {
                    reader.fail(.invalidValue, listen, "http.listen", "expected host:port, found '\(value)'")
                } else {
                    httpListen = value
                }
            }
            if let stall = http["health_stall_seconds"],
                let value = reader.integer(stall, "http.health_stall_seconds", range: 1...86_400)
            {
                healthStallSeconds = value
            }
            if let perFile = http["metrics_per_file"], let value = reader.bool(perFile, "http.metrics_per_file") {
                metricsPerFile = value
            }
        }
        if let node = top["log"], let log = reader.mapping(node, "log", known: ["format"]), let format = log["format"],
            let value = reader.choice(format, "log.format", LogFormat.self)
        {
            logFormat = value
        }
        readOutput(top["output"], root: root, reader)
        var defaults = InputConfiguration(name: "", paths: [], topic: "")
        var defaultTopic: String? = nil
        if let node = top["defaults"], let mapping = reader.mapping(node, "defaults", known: Self.defaultKeys) {
            defaults.readShared(mapping, "defaults", reader)
            defaultTopic = mapping["topic"].flatMap { reader.string($0, "defaults.topic") }
        }
        guard let inputsNode = top["inputs"] else {
            reader.fail(.missingKey, root, "inputs", "at least one input is required")
            return
        }
        guard let items = inputsNode.items else {
            reader.fail(.wrongType, inputsNode, "inputs", "expected a list of inputs, found \(inputsNode.kind)")
            return
        }
        guard !items.isEmpty else {
            reader.fail(.invalidValue, inputsNode, "inputs", "at least one input is required")
            return
        }
        var names = Set<String>()
        for (index, item) in items.enumerated() {
            let path = "inputs[\(index)]"
            guard let mapping = reader.mapping(item, path, known: Self.inputKeys) else { continue }
            var input = defaults
            input.topic = defaultTopic ?? ""
            input.readShared(mapping, path, reader)
            if let node = mapping["name"], let name = reader.string(node, "\(path).name") {
                if name.isEmpty {
                    reader.fail(.invalidValue, node, "\(path).name", "must not be empty")
                } else if !names.insert(name).inserted {
                    reader.fail(.invalidValue, node, "\(path).name", "the name '\(name)' is used by another input")
                }
                input.name = name
            } else if mapping["name"] == nil {
                reader.fail(.missingKey, item, "\(path).name", "every input needs a name")
            }
            if let node = mapping["paths"], let paths = reader.strings(node, "\(path).paths") {
                if paths.isEmpty { reader.fail(.invalidValue, node, "\(path).paths", "at least one path pattern is required") }
                for (patternIndex, pattern) in paths.enumerated() where !pattern.hasPrefix("/") {
                    reader.fail(.invalidValue, node, "\(path).paths[\(patternIndex)]", "'\(pattern)' must be an absolute path pattern")
                }
                input.paths = paths
            } else if mapping["paths"] == nil {
                reader.fail(.missingKey, item, "\(path).paths", "every input needs paths (glob patterns)")
            }
            if let node = mapping["exclude"], let exclude = reader.strings(node, "\(path).exclude") { input.exclude = exclude }
            if input.topic.isEmpty && mapping["topic"] == nil {
                reader.fail(.missingKey, item, "\(path).topic", "every input needs a topic (or set defaults.topic)")
            }
            inputs.append(input)
        }
    }

    private mutating func readTailing(_ node: YAMLNode, _ reader: ConfigReader) {
        let keys = ["max_open_files", "close_inactive_ms", "sweep_interval_ms", "poll_interval_ms", "read_chunk_bytes", "watch_method"]
        guard let mapping = reader.mapping(node, "tailing", known: keys) else { return }
        if let n = mapping["max_open_files"], let v = reader.integer(n, "tailing.max_open_files", range: 1...1_000_000) { tailing.maxOpenFiles = v }
        if let n = mapping["close_inactive_ms"], let v = reader.integer(n, "tailing.close_inactive_ms", range: 0...86_400_000) { tailing.closeInactiveMs = v }
        if let n = mapping["sweep_interval_ms"], let v = reader.integer(n, "tailing.sweep_interval_ms", range: 100...86_400_000) { tailing.sweepIntervalMs = v }
        if let n = mapping["poll_interval_ms"], let v = reader.integer(n, "tailing.poll_interval_ms", range: 10...3_600_000) { tailing.pollIntervalMs = v }
        if let n = mapping["read_chunk_bytes"], let v = reader.integer(n, "tailing.read_chunk_bytes", range: 4096...(64 << 20)) { tailing.readChunkBytes = v }
        if let n = mapping["watch_method"], let v = reader.choice(n, "tailing.watch_method", WatchMethod.self) { tailing.watchMethod = v }
    }

    private mutating func readOutput(_ node: YAMLNode?, root: YAMLNode, _ reader: ConfigReader) {
        guard let node else {
            reader.fail(.missingKey, root, "output.kafka", "an output is required (output.kafka with bootstrap.servers)")
            return
        }
        guard let output = reader.mapping(node, "output", known: ["kafka"]) else { return }
        guard let kafkaNode = output["kafka"] else {
            reader.fail(.missingKey, node, "output.kafka", "output.kafka is required")
            return
        }
        guard let entries = kafkaNode.entries else {
            reader.fail(.wrongType, kafkaNode, "output.kafka", "expected Kafka producer properties (name: value), found \(kafkaNode.kind)")
            return
        }
        var properties = Self.kafkaDefaults
        var refused = Set<String>()
        for entry in entries {
            let path = "output.kafka.\(entry.key)"
            let value: String?
            switch entry.value.value {
            case .sequence(let items):
                // A list of brokers is accepted for bootstrap.servers.
                value = entry.key == "bootstrap.servers"
                    ? items.compactMap { reader.string($0, path) }.joined(separator: ",")
                    : { reader.fail(.wrongType, entry.value, path, "expected a single value"); return nil }()
            default:
                value = reader.string(entry.value, path)
            }
            guard let value else {
                refused.insert(entry.key)
                continue
            }
            if ProducerConfiguration.isSecretProperty(entry.key), case .scalar(let raw, _) = entry.value.value,
                Self.writesOutSecret(raw)
            {
                secretsInFile.append(entry.key)
            }
            if let owned = Self.agentOwnedProperties[entry.key], owned.value != value {
                let allowed = owned.value.map { "\(entry.key) must be \($0) or absent" } ?? "\(entry.key) is not set here"
                reader.fail(.invalidValue, entry.value, path, "\(owned.why): \(allowed)")
                refused.insert(entry.key)
                continue
            }
            properties[entry.key] = value
        }
        for (key, value) in Self.agentOwnedValues { properties[key] = value }
        kafka = properties
        // Every problem the producer finds, at the line of its property (values refused above, an unset
        // variable say, are not reported again).
        do {
            _ = try ProducerConfiguration(properties: producerProperties)
        } catch {
            for problem in error.errors where !refused.contains(problem.property) {
                let entry = entries.first { $0.key == problem.property }
                let place = entry?.value ?? kafkaNode
                let code: ConfigurationError.Code = problem.code == .unknownProperty
                    ? .unknownKey : problem.code == .missingProperty ? .missingKey : .invalidValue
                reader.fail(code, place, "output.kafka.\(problem.property)", problem.message + (problem.value.map { " (value '\($0)')" } ?? ""))
            }
        }
    }

    /// Whether `raw` (a value as written in the file) holds more than `${VAR}` references and blanks.
    static func writesOutSecret(_ raw: String) -> Bool {
        var rest = Substring(raw)
        var literal = ""
        while let start = rest.firstRange(of: "${") {
            literal += rest[..<start.lowerBound]
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else { return true }
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        return literal.contains { !$0.isWhitespace }
    }

    /// Checks that need the whole configuration: the tailer's own validation of patterns and sizes.
    private func crossCheck(_ root: YAMLNode, _ reader: ConfigReader) {
        for problem in tailerConfiguration.validate() {
            reader.fail(.invalidValue, root, problem.option ?? "", problem.message)
        }
    }

    /// The tailer configuration these settings make.
    public var tailerConfiguration: TailerConfiguration {
        TailerConfiguration(
            inputs: inputs.map { input in
                TailInput(
                    name: input.name, include: input.paths, exclude: input.exclude, startAt: input.startAt,
                    maxLineBytes: input.maxLineBytes, longLinePolicy: input.longLinePolicy,
                    partialLineTimeoutMs: input.partialLineTimeoutMs)
            },
            maxOpenFiles: tailing.maxOpenFiles, closeInactiveMs: tailing.closeInactiveMs,
            sweepIntervalMs: tailing.sweepIntervalMs, pollIntervalMs: tailing.pollIntervalMs,
            readChunkBytes: tailing.readChunkBytes, watchMethod: tailing.watchMethod)
    }
}

extension InputConfiguration {
    /// Reads the keys an input shares with `defaults:`.
    mutating func readShared(_ mapping: [String: YAMLNode], _ path: String, _ reader: ConfigReader) {
        if let node = mapping["start_at"], let value = reader.choice(node, "\(path).start_at", StartAt.self) { startAt = value }
        if let node = mapping["topic"], let value = reader.string(node, "\(path).topic") {
            if let problem = Self.topicProblem(value) {
                reader.fail(.invalidValue, node, "\(path).topic", problem)
            } else {
                topic = value
            }
        }
        if let node = mapping["key"] {
            if case .mapping = node.value, let fixed = reader.mapping(node, "\(path).key", known: ["fixed"]) {
                if let value = fixed["fixed"].flatMap({ reader.string($0, "\(path).key.fixed") }) { key = .fixed(value) }
            } else if let value = reader.string(node, "\(path).key") {
                switch value {
                case "none": key = .none
                case "path": key = .path
                default: key = .fixed(value)
                }
            }
        }
        if let node = mapping["format"], let value = reader.choice(node, "\(path).format", Format.self) { format = value }
        if let node = mapping["max_line_bytes"], let value = reader.integer(node, "\(path).max_line_bytes", range: 1...(1 << 30)) {
            maxLineBytes = value
        }
        if let node = mapping["long_line_policy"], let value = reader.choice(node, "\(path).long_line_policy", LongLinePolicy.self) {
            longLinePolicy = value
        }
        if let node = mapping["partial_line_timeout_ms"] {
            if case .null = node.value {
                partialLineTimeoutMs = nil
            } else if let value = reader.integer(node, "\(path).partial_line_timeout_ms", range: 1...86_400_000) {
                partialLineTimeoutMs = value
            }
        }
        if let node = mapping["headers"], let names = reader.strings(node, "\(path).headers") {
            var chosen: [Header] = []
            for (index, name) in names.enumerated() {
                guard let header = Header(rawValue: name) else {
                    reader.fail(.invalidValue, node, "\(path).headers[\(index)]",
                        "'\(name)' is not one of: \(Header.allCases.map(\.rawValue).joined(separator: ", "))")
                    continue
                }
                chosen.append(header)
            }
            headers = chosen
        }
    }

    /// Kafka's rule for topic names: 1-249 of [a-zA-Z0-9._-], not "." or "..".
    static func topicProblem(_ topic: String) -> String? {
        if topic.isEmpty { return "must not be empty" }
        if topic.utf8.count > 249 { return "a topic name has at most 249 characters" }
        if topic == "." || topic == ".." { return "'\(topic)' is not a valid topic name" }
        if !topic.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "." || $0 == "_" || $0 == "-") }) {
            return "'\(topic)' has characters Kafka does not allow in a topic name (letters, digits, '.', '_', '-')"
        }
        return nil
    }
}

/// Reads a whole file as UTF-8 text.
func readWholeFile(_ path: String) -> Result<String, FileReadFailure> {
    // `-`: standard input, through a duplicate (descriptor 0 itself stays open).
    let fd = path == "-" ? fcntl(0, F_DUPFD_CLOEXEC, 3) : open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return .failure(FileReadFailure(message: "cannot open the configuration file: \(String(cString: strerror(errno)))")) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failure(FileReadFailure(message: "cannot read the configuration file: \(String(cString: strerror(errno)))"))
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > 16 << 20 { return .failure(FileReadFailure(message: "the configuration file is larger than 16 MiB")) }
    }
    guard let text = String(validating: bytes, as: UTF8.self) else {
        return .failure(FileReadFailure(message: "the configuration file is not valid UTF-8"))
    }
    return .success(text)
}

/// Why a file could not be read.
struct FileReadFailure: Error {
    var message: String
}
