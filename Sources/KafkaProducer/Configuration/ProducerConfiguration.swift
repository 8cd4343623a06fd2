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
    /// `ferry.compression.threads`: threads that compress batches in parallel; 0 = one per core. Default 0.
    public var compressionThreads: Int = 0
    /// `ferry.retry.all.errors`: retry, with backoff, also the errors the Java client gives up on
    /// (authorization, invalid topic, unknown codes...), logging each; only a record too large for the
    /// broker still fails. For the agent, where files are the buffer: fix the cause and delivery resumes.
    /// Default false.
    public var retryAllErrors: Bool = false

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
        "socket.connection.setup.timeout.ms", "ferry.compression.threads", "ferry.retry.all.errors",
    ]

    /// Builds a configuration from Kafka properties. Unknown names, unparsable or out-of-range values and
    /// contradictions are errors naming the property. As in the Java client, idempotence that was not asked
    /// for explicitly is turned off when `acks`, `retries` or `max.in.flight.requests.per.connection`
    /// contradict it; asked for explicitly, the contradiction is an error.
    public init(properties: [String: String]) throws {
        for name in properties.keys.sorted() where !Self.knownProperties.contains(name) {
            throw ProducerConfigurationError(
                .unknownProperty, property: name, value: properties[name], "not a producer property this client knows")
        }
        guard let servers = properties["bootstrap.servers"] else {
            throw ProducerConfigurationError(.missingProperty, property: "bootstrap.servers", value: nil, "required")
        }
        var addresses: [BrokerAddress] = []
        for item in servers.split(separator: ",") where !item.trimmingCharacters(in: " ").isEmpty {
            guard let address = BrokerAddress(parsing: String(item)) else {
                throw ProducerConfigurationError(
                    .invalidValue, property: "bootstrap.servers", value: servers, "'\(item)' is not host:port")
            }
            addresses.append(address)
        }
        guard !addresses.isEmpty else {
            throw ProducerConfigurationError(.invalidValue, property: "bootstrap.servers", value: servers, "no broker listed")
        }
        self.init(bootstrapServers: addresses)
        let reader = PropertyReader(properties: properties)
        if let value = properties["client.id"] { clientId = value }
        if let value = properties["acks"] {
            switch value.lowercased() {
            case "all", "-1": acks = .all
            case "1": acks = .leader
            case "0": acks = .none
            default:
                throw ProducerConfigurationError(.invalidValue, property: "acks", value: value, "expected all, -1, 0 or 1")
            }
        }
        let idempotenceExplicit = properties["enable.idempotence"] != nil
        enableIdempotence = try reader.bool("enable.idempotence", default: true)
        if let value = properties["compression.type"] {
            switch RecordBatchCompression(name: value) {
            case .none?: compressionType = .none
            case .gzip?: compressionType = .gzip
            case .lz4?: compressionType = .lz4
            case .snappy?, .zstd?:
                throw ProducerConfigurationError(
                    .invalidValue, property: "compression.type", value: value,
                    "Ferry writes none, gzip or lz4 (it reads snappy and zstd, but does not write them)")
            case nil:
                throw ProducerConfigurationError(
                    .invalidValue, property: "compression.type", value: value, "expected none, gzip or lz4")
            }
        }
        let levelProperty = compressionType == .gzip ? "compression.gzip.level" : "compression.lz4.level"
        for name in ["compression.level", levelProperty] where properties[name] != nil {
            let range: ClosedRange<Int> = compressionType == .gzip ? 1...9 : 0...17
            compressionLevel = Int32(try reader.integer(name, default: 0, range: range))
        }
        lingerMs = try reader.integer("linger.ms", default: lingerMs, range: 0...Int(Int32.max))
        batchSize = try reader.integer("batch.size", default: batchSize, range: 0...Int(Int32.max))
        bufferMemory = try reader.integer("buffer.memory", default: bufferMemory, range: 1024...Int(Int64.max))
        maxBlockMs = try reader.integer("max.block.ms", default: maxBlockMs, range: 0...Int(Int64.max))
        maxInFlightRequestsPerConnection = try reader.integer(
            "max.in.flight.requests.per.connection", default: maxInFlightRequestsPerConnection, range: 1...Int(Int32.max))
        retries = try reader.integer("retries", default: retries, range: 0...Int(Int32.max))
        retryBackoffMs = try reader.integer("retry.backoff.ms", default: retryBackoffMs, range: 0...Int(Int32.max))
        retryBackoffMaxMs = try reader.integer("retry.backoff.max.ms", default: retryBackoffMaxMs, range: 0...Int(Int32.max))
        requestTimeoutMs = try reader.integer("request.timeout.ms", default: requestTimeoutMs, range: 1...Int(Int32.max))
        deliveryTimeoutMs = try reader.integer("delivery.timeout.ms", default: deliveryTimeoutMs, range: 0...Int(Int32.max))
        metadataMaxAgeMs = try reader.integer("metadata.max.age.ms", default: metadataMaxAgeMs, range: 0...Int(Int64.max))
        maxRequestSize = try reader.integer("max.request.size", default: maxRequestSize, range: 1024...Int(Int32.max))
        partitionerIgnoreKeys = try reader.bool("partitioner.ignore.keys", default: false)
        reconnectBackoffMs = try reader.integer("reconnect.backoff.ms", default: reconnectBackoffMs, range: 0...Int(Int32.max))
        reconnectBackoffMaxMs = try reader.integer(
            "reconnect.backoff.max.ms", default: reconnectBackoffMaxMs, range: 0...Int(Int32.max))
        socketConnectionSetupTimeoutMs = try reader.integer(
            "socket.connection.setup.timeout.ms", default: socketConnectionSetupTimeoutMs, range: 1...Int(Int32.max))
        compressionThreads = try reader.integer("ferry.compression.threads", default: 0, range: 0...256)
        retryAllErrors = try reader.bool("ferry.retry.all.errors", default: false)

        // Idempotence needs acks=all, retries > 0 and at most 5 requests in flight.
        let conflicts = [
            acks != .all ? ("acks", "acks must be all") : nil,
            retries == 0 ? ("retries", "retries must be greater than 0") : nil,
            maxInFlightRequestsPerConnection > 5
                ? ("max.in.flight.requests.per.connection", "max.in.flight.requests.per.connection must be at most 5") : nil,
        ].compactMap { $0 }
        if enableIdempotence, let (property, why) = conflicts.first {
            if idempotenceExplicit {
                throw ProducerConfigurationError(
                    .conflict, property: property, value: properties[property],
                    "enable.idempotence=true requires it: \(why) (or set enable.idempotence=false)")
            }
            enableIdempotence = false
        }
        if deliveryTimeoutMs != 0 && deliveryTimeoutMs < lingerMs + requestTimeoutMs {
            throw ProducerConfigurationError(
                .conflict, property: "delivery.timeout.ms", value: properties["delivery.timeout.ms"] ?? "\(deliveryTimeoutMs)",
                "must be at least linger.ms + request.timeout.ms (\(lingerMs + requestTimeoutMs)), or 0 for no limit")
        }
    }

    /// The effective batch size: at least one record's room, at most what a request can carry.
    var effectiveBatchSize: Int { max(min(batchSize, maxRequestSize - 200), 1) }
}

/// Parses typed property values with errors that name the property.
private struct PropertyReader {
    let properties: [String: String]

    func integer(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = properties[name] else { return value }
        guard let parsed = Int(text.trimmingCharacters(in: " ")) else {
            throw ProducerConfigurationError(.invalidValue, property: name, value: text, "expected an integer")
        }
        guard range.contains(parsed) else {
            throw ProducerConfigurationError(
                .invalidValue, property: name, value: text, "must be between \(range.lowerBound) and \(range.upperBound)")
        }
        return parsed
    }

    func bool(_ name: String, default value: Bool) throws -> Bool {
        guard let text = properties[name] else { return value }
        switch text.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ProducerConfigurationError(.invalidValue, property: name, value: text, "expected true or false")
        }
    }
}
