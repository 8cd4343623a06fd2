import KafkaWire

/// The producer's settings, under Kafka's own property names and with the Java client's defaults, so that
/// users paste what they already know. Build it from properties with ``init(properties:)`` (every bad value
/// is an error naming its property), or set the fields directly.
public struct ProducerConfiguration: Sendable, Equatable {
    /// How many acknowledgements the leader waits for before answering (`acks`).
    public enum Acks: Int16, Sendable, Equatable {
        /// `acks=0`: no response at all; delivery is not confirmed.
        case none = 0
        /// `acks=1`: the leader wrote the records.
        case leader = 1
        /// `acks=all` (or -1): every in-sync replica wrote them. The default.
        case all = -1
    }

    /// `bootstrap.servers`: brokers to learn the cluster from (any one of them is enough).
    public var bootstrapServers: [BrokerAddress]
    /// `client.id`, shown in broker logs. Default `ferry`.
    public var clientId: String = "ferry"
    /// `acks`. Default `all`.
    public var acks: Acks = .all
    /// `enable.idempotence`: producer id and sequence numbers so retries never duplicate. Default true.
    public var enableIdempotence: Bool = true
    /// `compression.type`: none, gzip or lz4. Default none.
    public var compressionType: RecordBatchCompression = .none
    /// `compression.level` (or `compression.gzip.level` / `compression.lz4.level`); nil = the codec's default
    /// (gzip 6, lz4 fast).
    public var compressionLevel: Int32? = nil
    /// `linger.ms`: how long a batch waits for more records before it is sent. Default 5.
    public var lingerMs: Int = 5
    /// `batch.size`: the target size of a batch in bytes (records before compression). Default 16384.
    public var batchSize: Int = 16384
    /// `buffer.memory`: bytes of records the producer holds before `send` blocks. Default 33554432.
    public var bufferMemory: Int = 33_554_432
    /// `max.block.ms`: how long `send` waits for buffer space or metadata before failing. Default 60000.
    public var maxBlockMs: Int = 60000
    /// `max.in.flight.requests.per.connection`: unanswered requests per broker. Default 5 (at most 5 with
    /// idempotence).
    public var maxInFlightRequestsPerConnection: Int = 5
    /// `retries`: how many times a failed batch is retried. Default 2147483647.
    public var retries: Int = Int(Int32.max)
    /// `retry.backoff.ms`: first wait before a retry; doubles per attempt, with ±20% jitter. Default 100.
    public var retryBackoffMs: Int = 100
    /// `retry.backoff.max.ms`: the cap of the retry backoff. Default 1000.
    public var retryBackoffMaxMs: Int = 1000
    /// `request.timeout.ms`: how long a request may stay unanswered before the connection is dropped and
    /// the request retried. Default 30000.
    public var requestTimeoutMs: Int = 30000
    /// `delivery.timeout.ms`: how long a record may wait for a definite outcome; 0 means never give up
    /// (what the agent uses). A batch that might have been written is never failed by this timeout: it is
    /// retried until its outcome is known. Default 120000.
    public var deliveryTimeoutMs: Int = 120_000
    /// `metadata.max.age.ms`: metadata is refreshed at least this often. Default 300000.
    public var metadataMaxAgeMs: Int = 300_000
    /// `max.request.size`: the largest request, and so the largest record or batch. Default 1048576.
    public var maxRequestSize: Int = 1_048_576
    /// `partitioner.ignore.keys`: spread keyed records like keyless ones. Default false.
    public var partitionerIgnoreKeys: Bool = false
    /// `reconnect.backoff.ms`: first wait before reconnecting to a broker. Default 50.
    public var reconnectBackoffMs: Int = 50
    /// `reconnect.backoff.max.ms`: the cap of the reconnect backoff. Default 1000.
    public var reconnectBackoffMaxMs: Int = 1000
    /// `socket.connection.setup.timeout.ms`: how long a connection attempt may take. Default 10000.
    public var socketConnectionSetupTimeoutMs: Int = 10000
    /// `allow.auto.create.topics`: whether Metadata requests let the broker create a missing topic (if the
    /// broker's own `auto.create.topics.enable` allows it). Default true, as in Java.
    public var allowAutoCreateTopics: Bool = true
    /// `ferry.compression.threads`: threads that compress batches in parallel; 0 = one per core. Default 0.
    public var compressionThreads: Int = 0
    /// `ferry.retry.all.errors`: retry, with backoff, also the errors the Java client gives up on
    /// (authorization, invalid topic, unknown codes...), logging each; only a record too large for the
    /// broker still fails. For the agent, where files are the buffer: fix the cause and delivery resumes.
    /// Default false.
    public var retryAllErrors: Bool = false
    /// `key.serializer`: which Swift type record keys are given as (``KafkaSerializable``); nil = any.
    public var keySerializer: RecordSerializer? = nil
    /// `value.serializer`: which Swift type record values are given as; nil = any.
    public var valueSerializer: RecordSerializer? = nil
    /// `security.protocol`. Default PLAINTEXT.
    public var securityProtocol: SecurityProtocol = .plaintext
    /// The `ssl.*` settings, used when ``securityProtocol`` is SSL or SASL_SSL.
    public var tls = TLSSettings()
    /// The SASL mechanism and credentials, when ``securityProtocol`` is SASL_PLAINTEXT or SASL_SSL.
    public var sasl: SaslSettings? = nil
    /// Java producer properties that were given and change nothing in this client, with why (logged when a
    /// producer starts): socket buffer sizes, JMX metrics, `ssl.*` under `security.protocol=PLAINTEXT`...
    public var ignoredProperties: [String: String] = [:]

    /// Makes a configuration with the defaults and the given brokers.
    public init(bootstrapServers: [BrokerAddress]) {
        self.bootstrapServers = bootstrapServers
    }

    /// Every property name this producer accepts.
    public static let knownProperties: Set<String> = [
        "bootstrap.servers", "client.id", "acks", "enable.idempotence", "compression.type", "compression.level",
        "compression.gzip.level", "compression.lz4.level", "linger.ms", "batch.size", "buffer.memory", "max.block.ms",
        "max.in.flight.requests.per.connection", "retries", "retry.backoff.ms", "retry.backoff.max.ms",
        "request.timeout.ms", "delivery.timeout.ms", "metadata.max.age.ms", "max.request.size",
        "partitioner.ignore.keys", "reconnect.backoff.ms", "reconnect.backoff.max.ms",
        "socket.connection.setup.timeout.ms", "allow.auto.create.topics", "ferry.compression.threads",
        "ferry.retry.all.errors",
    ]

    /// Builds a configuration from Kafka properties. Unknown names, unparsable or out-of-range values and
    /// contradictions are errors naming the property; every problem is reported, not only the first. As in
    /// the Java client, idempotence that was not asked for explicitly is turned off when `acks`, `retries`
    /// or `max.in.flight.requests.per.connection` contradict it; asked for explicitly, the contradiction is
    /// an error.
    ///
    /// Numbers take the Java client's ranges (durations in milliseconds up to `Long.MAX_VALUE`, Java's
    /// "forever"); a few are narrower where the Java value cannot work (`request.timeout.ms` and
    /// `socket.connection.setup.timeout.ms` at least 1, `max.request.size` at least 1024). Durations beyond
    /// ``foreverMs`` (about 146 years) mean forever: no arithmetic on them can overflow.
    public init(properties: [String: String]) throws(ProducerConfigurationErrors) {
        var reader = PropertyReader(properties: properties)
        for name in properties.keys.sorted() where !Self.knownProperties.contains(name) && !Self.isJavaProperty(name) {
            let hint = Self.suggestion(for: name).map { " (did you mean \($0)?)" } ?? ""
            reader.fail(.unknownProperty, name, "not a producer property this client knows\(hint)")
        }
        var addresses: [BrokerAddress] = []
        if let servers = properties["bootstrap.servers"] {
            for item in servers.split(separator: ",") where !item.trimmingCharacters(in: " ").isEmpty {
                guard let address = BrokerAddress(parsing: String(item)) else {
                    reader.fail(.invalidValue, "bootstrap.servers", "'\(item)' is not host:port")
                    continue
                }
                addresses.append(address)
            }
            if addresses.isEmpty && !servers.split(separator: ",").contains(where: { !$0.trimmingCharacters(in: " ").isEmpty }) {
                reader.fail(.invalidValue, "bootstrap.servers", "no broker listed")
            }
        } else {
            reader.fail(.missingProperty, "bootstrap.servers", "required")
        }
        self.init(bootstrapServers: addresses)
        if let value = properties["client.id"] { clientId = value }
        if let value = properties["acks"] {
            switch value.trimmingCharacters(in: " ").lowercased() {
            case "all", "-1": acks = .all
            case "1": acks = .leader
            case "0": acks = .none
            default: reader.fail(.invalidValue, "acks", "expected all, -1, 0 or 1")
            }
        }
        let idempotenceExplicit = properties["enable.idempotence"] != nil
        enableIdempotence = reader.bool("enable.idempotence", default: true)
        if let value = properties["compression.type"] {
            switch RecordBatchCompression(name: value.trimmingCharacters(in: " ")) {
            case .none?: compressionType = .none
            case .gzip?: compressionType = .gzip
            case .lz4?: compressionType = .lz4
            case .snappy?, .zstd?:
                reader.fail(
                    .invalidValue, "compression.type",
                    "Ferry writes none, gzip or lz4 (it reads snappy and zstd, but does not write them)")
            case nil:
                reader.fail(.invalidValue, "compression.type", "expected none, gzip or lz4")
            }
        }
        // Java's levels: gzip 1-9 (-1: zlib's default, 6), lz4 1-17 (9 is Java's default; Ferry's is the fast
        // mode, 0).
        let levelProperty = compressionType == .gzip ? "compression.gzip.level" : "compression.lz4.level"
        for name in ["compression.level", levelProperty] where properties[name] != nil {
            let range: ClosedRange<Int> = compressionType == .gzip ? -1...9 : 0...17
            let level = reader.integer(name, default: 0, range: range)
            if compressionType == .gzip && level == 0 {
                reader.fail(.invalidValue, name, "a gzip level is 1 to 9, or -1 for zlib's default")
            }
            compressionLevel = compressionType == .gzip && level == -1 ? nil : Int32(level)
        }
        let long = Int(Int64.max)
        let int = Int(Int32.max)
        lingerMs = reader.integer("linger.ms", default: lingerMs, range: 0...long)
        batchSize = reader.integer("batch.size", default: batchSize, range: 0...int)
        bufferMemory = reader.integer("buffer.memory", default: bufferMemory, range: 0...long)
        maxBlockMs = reader.integer("max.block.ms", default: maxBlockMs, range: 0...long)
        maxInFlightRequestsPerConnection = reader.integer(
            "max.in.flight.requests.per.connection", default: maxInFlightRequestsPerConnection, range: 1...int)
        retries = reader.integer("retries", default: retries, range: 0...int)
        retryBackoffMs = reader.integer("retry.backoff.ms", default: retryBackoffMs, range: 0...long)
        retryBackoffMaxMs = reader.integer("retry.backoff.max.ms", default: retryBackoffMaxMs, range: 0...long)
        requestTimeoutMs = reader.integer("request.timeout.ms", default: requestTimeoutMs, range: 1...int)
        deliveryTimeoutMs = reader.integer("delivery.timeout.ms", default: deliveryTimeoutMs, range: 0...int)
        metadataMaxAgeMs = reader.integer("metadata.max.age.ms", default: metadataMaxAgeMs, range: 0...long)
        maxRequestSize = reader.integer("max.request.size", default: maxRequestSize, range: 1024...int)
        partitionerIgnoreKeys = reader.bool("partitioner.ignore.keys", default: false)
        reconnectBackoffMs = reader.integer("reconnect.backoff.ms", default: reconnectBackoffMs, range: 0...long)
        reconnectBackoffMaxMs = reader.integer("reconnect.backoff.max.ms", default: reconnectBackoffMaxMs, range: 0...long)
        socketConnectionSetupTimeoutMs = reader.integer(
            "socket.connection.setup.timeout.ms", default: socketConnectionSetupTimeoutMs, range: 1...long)
        allowAutoCreateTopics = reader.bool("allow.auto.create.topics", default: true)
        compressionThreads = reader.integer("ferry.compression.threads", default: 0, range: 0...256)
        retryAllErrors = reader.bool("ferry.retry.all.errors", default: false)

        // Idempotence needs acks=all, retries > 0 and at most 5 requests in flight.
        let conflicts = [
            acks != .all ? ("acks", "acks must be all") : nil,
            retries == 0 ? ("retries", "retries must be greater than 0") : nil,
            maxInFlightRequestsPerConnection > 5
                ? ("max.in.flight.requests.per.connection", "max.in.flight.requests.per.connection must be at most 5") : nil,
        ].compactMap { $0 }
        if enableIdempotence, !conflicts.isEmpty {
            if idempotenceExplicit {
                for (property, why) in conflicts {
                    reader.fail(.conflict, property, "enable.idempotence=true requires it: \(why) (or set enable.idempotence=false)")
                }
            }
            enableIdempotence = false
        }
        if deliveryTimeoutMs != 0 && deliveryTimeoutMs < lingerMs.addingSaturated(requestTimeoutMs) {
            reader.fail(
                .conflict, "delivery.timeout.ms",
                "must be at least linger.ms + request.timeout.ms (\(lingerMs.addingSaturated(requestTimeoutMs))), or 0 for no limit",
                value: properties["delivery.timeout.ms"] ?? "\(deliveryTimeoutMs)")
        }
        readJavaProperties(properties, into: &reader)
        guard reader.errors.isEmpty else { throw ProducerConfigurationErrors(errors: reader.errors) }
    }

    /// Whether the property `name` holds a secret (a password, a JAAS line, a token): its value is never
    /// shown in an error or a log, even under a misspelt name.
    public static func isSecretProperty(_ name: String) -> Bool { PropertyReader.isSecret(name) }

    /// Durations at or above this many milliseconds (2^62 ns, about 146 years) mean forever.
    public static let foreverMs = Int((UInt64(1) << 62) / 1_000_000)

    /// `milliseconds` as nanoseconds, capped at 2^62 (forever), so that adding it to a monotonic time cannot
    /// overflow.
    static func nanoseconds(milliseconds: Int) -> UInt64 {
        guard milliseconds > 0 else { return 0 }
        guard milliseconds < foreverMs else { return UInt64(1) << 62 }
        return UInt64(milliseconds) * 1_000_000
    }

    /// The effective batch size: at least one record's room, at most what a request can carry.
    var effectiveBatchSize: Int { max(min(batchSize, maxRequestSize - 200), 1) }
}

/// Parses typed property values, collecting every problem with the property's name.
struct PropertyReader {
    let properties: [String: String]
    private(set) var errors: [ProducerConfigurationError] = []

    init(properties: [String: String]) { self.properties = properties }

    mutating func fail(_ code: ProducerConfigurationError.Code, _ name: String, _ message: String, value: String? = nil) {
        let shown = Self.isSecret(name) ? "(hidden)" : value ?? properties[name]
        errors.append(ProducerConfigurationError(code, property: name, value: shown, message))
    }

    /// Whether a property holds a secret, whose value no error message may show (even a misspelt one).
    static func isSecret(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return ["pass", "secret", "jaas", "credential", "token"].contains { lowered.contains($0) }
    }

    mutating func integer(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = properties[name] else { return value }
        guard let parsed = Int(text.trimmingCharacters(in: " ")) else {
            fail(.invalidValue, name, "expected an integer between \(range.lowerBound) and \(range.upperBound)")
            return value
        }
        guard range.contains(parsed) else {
            fail(.invalidValue, name, "must be between \(range.lowerBound) and \(range.upperBound)")
            return value
        }
        return parsed
    }

    mutating func bool(_ name: String, default value: Bool) -> Bool {
        guard let text = properties[name] else { return value }
        switch text.trimmingCharacters(in: " ").lowercased() {
        case "true": return true
        case "false": return false
        default:
            fail(.invalidValue, name, "expected true or false")
            return value
        }
    }
}

extension Int {
    /// `self + other`, stopping at `Int.max` instead of trapping.
    func addingSaturated(_ other: Int) -> Int {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }
}
