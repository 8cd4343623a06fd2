import KafkaWire
import NIOCore

/// Kafka's own serializers, by the class names a Java `producer.properties` file gives for
/// `key.serializer` and `value.serializer`. Each names the Swift type the record API then takes
/// (``KafkaSerializable``): a record whose key or value is of another type is refused at `send`, as the
/// Java producer refuses it with a `SerializationException`.
public enum RecordSerializer: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// `StringSerializer`: a Swift `String`, written as UTF-8.
    case string = "org.apache.kafka.common.serialization.StringSerializer"
    /// `ByteArraySerializer`: `[UInt8]`, written as is.
    case byteArray = "org.apache.kafka.common.serialization.ByteArraySerializer"
    /// `ByteBufferSerializer`: a NIO `ByteBuffer`, its readable bytes written as is.
    case byteBuffer = "org.apache.kafka.common.serialization.ByteBufferSerializer"

    /// The class name without its package.
    public var description: String { String(rawValue.split(separator: ".").last ?? "") }
}

/// A type a record's key or value can be given as; each is what one of Kafka's serializers takes.
public protocol KafkaSerializable: Sendable {
    /// The serializer whose Java type this is.
    static var kafkaSerializer: RecordSerializer { get }
    /// The bytes on the wire.
    var kafkaBytes: [UInt8] { get }
}

/// A `String` key or value, as `StringSerializer` takes it.
extension String: KafkaSerializable {
    /// `StringSerializer`.
    public static var kafkaSerializer: RecordSerializer { .string }
    /// The string's UTF-8 bytes.
    public var kafkaBytes: [UInt8] { Array(utf8) }
}

/// A `[UInt8]` key or value, as `ByteArraySerializer` takes it.
extension Array: KafkaSerializable where Element == UInt8 {
    /// `ByteArraySerializer`.
    public static var kafkaSerializer: RecordSerializer { .byteArray }
    /// The bytes themselves.
    public var kafkaBytes: [UInt8] { self }
}

/// A `ByteBuffer` key or value, as `ByteBufferSerializer` takes it.
extension ByteBuffer: KafkaSerializable {
    /// `ByteBufferSerializer`.
    public static var kafkaSerializer: RecordSerializer { .byteBuffer }
    /// The buffer's readable bytes.
    public var kafkaBytes: [UInt8] { Array(readableBytesView) }
}

extension ProducerConfiguration {
    /// Properties of the Java producer that this client accepts (their values checked where Java has a
    /// range) and that change nothing here, with why; ``ignoredProperties`` lists those a configuration
    /// set, and the producer logs them at start, so a Java `producer.properties` file works as it is.
    static let inertJavaProperties: [String: String] = [
        "client.dns.lookup": "every address a name resolves to is tried, as use_all_dns_ips does",
        "send.buffer.bytes": "socket buffers are left to the operating system, as -1 does",
        "receive.buffer.bytes": "socket buffers are left to the operating system, as -1 does",
        "connections.max.idle.ms": "connections to the brokers stay open while the producer runs",
        "metadata.max.idle.ms": "metadata is kept for every topic sent to while the producer runs",
        "socket.connection.setup.timeout.max.ms": "socket.connection.setup.timeout.ms is the one limit",
        "partitioner.adaptive.partitioning.enable": "keyless records stick to one partition per batch",
        "partitioner.availability.timeout.ms": "keyless records stick to one partition per batch",
        "compression.zstd.level": "Ferry writes none, gzip or lz4",
        "transaction.timeout.ms": "transactions are not supported",
        "metrics.sample.window.ms": "JMX metrics are the JVM's; see the producer's counters",
        "metrics.num.samples": "JMX metrics are the JVM's; see the producer's counters",
        "metrics.recording.level": "JMX metrics are the JVM's; see the producer's counters",
        "metric.reporters": "JMX metrics are the JVM's; see the producer's counters",
        "auto.include.jmx.reporter": "JMX metrics are the JVM's; see the producer's counters",
        "enable.metrics.push": "client metrics are not pushed to the broker",
        "metadata.recovery.strategy": "bootstrap servers are asked again when no known broker answers",
        "metadata.recovery.rebootstrap.trigger.ms": "bootstrap servers are asked again when no known broker answers",
    ]

    /// Java producer properties naming Java classes or features this client cannot honour unless empty.
    static let classProperties: [String: String] = [
        "interceptor.classes": "interceptors are Java classes; wrap send instead",
        "partitioner.class": "partitioners are Java classes; give the record a partition instead",
        "security.providers": "security providers are Java classes",
        "transactional.id": "transactions are not supported",
    ]

    /// Reads the Java-only properties: serializers, inert tuning properties, `security.protocol` (and the
    /// `ssl.`/`sasl.` settings it would use), class lists.
    mutating func readJavaProperties(_ properties: [String: String], into reader: inout PropertyReader) {
        for (name, which) in [("key.serializer", \ProducerConfiguration.keySerializer), ("value.serializer", \.valueSerializer)] {
            guard let value = properties[name]?.trimmingCharacters(in: " ") else { continue }
            if let serializer = RecordSerializer(rawValue: value) {
                self[keyPath: which] = serializer
            } else {
                reader.fail(
                    .invalidValue, name,
                    "this client takes "
                        + RecordSerializer.allCases.map(\.rawValue).joined(separator: ", ")
                        + " (custom serializers are Java classes: serialize to bytes and use ByteArraySerializer)")
            }
        }
        for name in ["key.serializer.encoding", "value.serializer.encoding", "serializer.encoding"] {
            guard let value = properties[name] else { continue }
            if !["utf8", "utf-8"].contains(value.trimmingCharacters(in: " ").lowercased()) {
                reader.fail(.invalidValue, name, "Swift strings are written as UTF-8 (expected UTF8)")
            } else {
                ignoredProperties[name] = "strings are always written as UTF-8"
            }
        }
        for (name, why) in Self.inertJavaProperties where properties[name] != nil {
            ignoredProperties[name] = why
        }
        _ = reader.integer("send.buffer.bytes", default: -1, range: -1...Int(Int32.max))
        _ = reader.integer("receive.buffer.bytes", default: -1, range: -1...Int(Int32.max))
        for name in [
            "connections.max.idle.ms", "metadata.max.idle.ms", "socket.connection.setup.timeout.max.ms",
            "partitioner.availability.timeout.ms", "metrics.sample.window.ms", "transaction.timeout.ms",
            "metadata.recovery.rebootstrap.trigger.ms",
        ] {
            _ = reader.integer(name, default: 0, range: 0...Int.max)
        }
        _ = reader.integer("metrics.num.samples", default: 2, range: 1...Int(Int32.max))
        _ = reader.bool("partitioner.adaptive.partitioning.enable", default: true)
        _ = reader.bool("auto.include.jmx.reporter", default: true)
        _ = reader.bool("enable.metrics.push", default: true)
        if let value = properties["client.dns.lookup"],
            !["use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"].contains(value.trimmingCharacters(in: " "))
        {
            reader.fail(.invalidValue, "client.dns.lookup", "expected use_all_dns_ips or resolve_canonical_bootstrap_servers_only")
        }
        for (name, why) in Self.classProperties {
            guard let value = properties[name] else { continue }
            if value.trimmingCharacters(in: " ").isEmpty {
                ignoredProperties[name] = "empty"
            } else {
                reader.fail(.unsupported, name, why)
            }
        }
        readSecurity(properties, into: &reader)
        if let servers = properties["bootstrap.servers"] { checkListenerPrefixes(servers, into: &reader) }
    }

    /// Whether `name` is handled by ``readJavaProperties(_:into:)``.
    static func isJavaProperty(_ name: String) -> Bool {
        inertJavaProperties[name] != nil || classProperties[name] != nil || name.hasPrefix("ssl.") || name.hasPrefix("sasl.")
            || [
                "key.serializer", "value.serializer", "key.serializer.encoding", "value.serializer.encoding",
                "serializer.encoding", "security.protocol",
            ].contains(name)
    }

    /// The known property closest to `name` (at most a few edits away), for "did you mean".
    static func suggestion(for name: String) -> String? {
        let candidates = knownProperties.union(inertJavaProperties.keys).union(classProperties.keys).union(tlsProperties).union(saslProperties)
            .union(["key.serializer", "value.serializer", "security.protocol"])
        return NameSuggestion.nearest(to: name, among: candidates.sorted(), maximumDistance: max(2, name.count / 6))
    }
}
