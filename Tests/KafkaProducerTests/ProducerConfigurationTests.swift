import FerryTestSupport
import KafkaWire
import Logging
import Testing

@testable import KafkaProducer

@Suite("Producer configuration")
struct ProducerConfigurationTests {
    @Test("Java's defaults: acks=all, idempotence on, linger 5 ms, 16 KiB batches, 32 MiB buffer, 5 in flight")
    func defaults() throws {
        let configuration = try ProducerConfiguration(properties: ["bootstrap.servers": "127.0.0.1:9092"])
        #expect(configuration.acks == .all)
        #expect(configuration.enableIdempotence)
        #expect(configuration.lingerMs == 5 && configuration.batchSize == 16384 && configuration.bufferMemory == 33_554_432)
        #expect(configuration.maxInFlightRequestsPerConnection == 5 && configuration.retries == Int(Int32.max))
        #expect(configuration.deliveryTimeoutMs == 120_000 && configuration.requestTimeoutMs == 30_000)
        #expect(configuration.compressionType == .none && configuration.maxRequestSize == 1_048_576)
        #expect(configuration.bootstrapServers == [BrokerAddress(host: "127.0.0.1", port: 9092)])
    }

    @Test("every documented property is read")
    func allProperties() throws {
        let configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "PLAINTEXT://a:1, [::1]:2", "client.id": "me", "acks": "1", "enable.idempotence": "false",
            "compression.type": "gzip", "compression.level": "9", "linger.ms": "7", "batch.size": "1000",
            "buffer.memory": "2048", "max.block.ms": "3", "max.in.flight.requests.per.connection": "9", "retries": "4",
            "retry.backoff.ms": "5", "retry.backoff.max.ms": "6", "request.timeout.ms": "100", "delivery.timeout.ms": "0",
            "metadata.max.age.ms": "8", "max.request.size": "4096", "partitioner.ignore.keys": "true",
            "reconnect.backoff.ms": "11", "reconnect.backoff.max.ms": "12", "socket.connection.setup.timeout.ms": "13",
            "ferry.compression.threads": "2",
        ])
        #expect(configuration.bootstrapServers == [BrokerAddress(host: "a", port: 1), BrokerAddress(host: "::1", port: 2)])
        #expect(configuration.clientId == "me" && configuration.acks == .leader && !configuration.enableIdempotence)
        #expect(configuration.compressionType == .gzip && configuration.compressionLevel == 9)
        #expect(configuration.lingerMs == 7 && configuration.batchSize == 1000 && configuration.bufferMemory == 2048)
        #expect(configuration.maxBlockMs == 3 && configuration.maxInFlightRequestsPerConnection == 9 && configuration.retries == 4)
        #expect(configuration.retryBackoffMs == 5 && configuration.retryBackoffMaxMs == 6 && configuration.requestTimeoutMs == 100)
        #expect(configuration.deliveryTimeoutMs == 0 && configuration.metadataMaxAgeMs == 8 && configuration.maxRequestSize == 4096)
        #expect(configuration.partitionerIgnoreKeys && configuration.reconnectBackoffMs == 11 && configuration.reconnectBackoffMaxMs == 12)
        #expect(configuration.socketConnectionSetupTimeoutMs == 13 && configuration.compressionThreads == 2)
    }

    @Test("bad values are errors naming the property", arguments: [
        (["acks": "2"], "acks"), (["linger.ms": "soon"], "linger.ms"), (["compression.type": "brotli"], "compression.type"),
        (["compression.type": "zstd"], "compression.type"), (["enable.idempotence": "yes"], "enable.idempotence"),
        (["batch.size": "-1"], "batch.size"), (["bootstrap.servers": "nohost"], "bootstrap.servers"),
        (["linger.mss": "5"], "linger.mss"), (["compression.type": "gzip", "compression.level": "12"], "compression.level"),
        (["delivery.timeout.ms": "1000"], "delivery.timeout.ms"),
    ])
    func badValues(extra: [String: String], property: String) {
        var properties = ["bootstrap.servers": "127.0.0.1:9092"]
        properties.merge(extra) { _, new in new }
        #expect { try ProducerConfiguration(properties: properties) } throws: { error in
            guard let error = (error as? ProducerConfigurationErrors)?.first else { return false }
            return error.property == property && "\(error)".contains(property)
        }
    }

    @Test("a missing bootstrap.servers is an error")
    func missingBootstrap() {
        #expect { try ProducerConfiguration(properties: [:]) } throws: {
            ($0 as? ProducerConfigurationErrors)?.first?.code == .missingProperty
        }
    }

    @Test("implicit idempotence yields to acks=1; explicit idempotence with acks=1 is a conflict")
    func idempotenceConflicts() throws {
        let implicit = try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "acks": "1"])
        #expect(!implicit.enableIdempotence)
        #expect { try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "acks": "1", "enable.idempotence": "true"]) } throws: {
            ($0 as? ProducerConfigurationErrors)?.first?.code == .conflict && ($0 as? ProducerConfigurationErrors)?.first?.property == "acks"
        }
        #expect { try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "max.in.flight.requests.per.connection": "6", "enable.idempotence": "true"]) } throws: {
            ($0 as? ProducerConfigurationErrors)?.first?.property == "max.in.flight.requests.per.connection"
        }
    }

    @Test("retry backoff doubles per attempt up to the cap, with ±20% jitter")
    func backoff() {
        var backoff = RetryBackoff(initialMs: 100, maximumMs: 1000, seed: 1)
        for attempt in 1...8 {
            let expected = Double(min(100 << (attempt - 1), 1000)) * 1_000_000
            let delay = Double(backoff.delay(attempt: attempt))
            #expect(delay >= expected * 0.8 && delay <= expected * 1.2, "attempt \(attempt): \(delay)")
        }
    }

    @Test("every bad property is reported at once, each naming its property")
    func everyProblem() {
        let properties = [
            "bootstrap.servers": "127.0.0.1:9092,nohost", "acks": "2", "linger.ms": "soon", "batch.size": "-1",
            "key.serializr": "x", "retries": "99999999999",
        ]
        #expect { try ProducerConfiguration(properties: properties) } throws: { error in
            guard let errors = error as? ProducerConfigurationErrors else { return false }
            let named = Set(errors.errors.map(\.property))
            return named == ["bootstrap.servers", "acks", "linger.ms", "batch.size", "key.serializr", "retries"]
        }
    }

    @Test("Java's ranges: durations up to Long.MAX_VALUE (forever) are accepted and cannot overflow")
    func javaRanges() throws {
        let long = "\(Int64.max)"
        let configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "h:1", "max.block.ms": long, "metadata.max.age.ms": long, "linger.ms": long,
            "retry.backoff.ms": long, "retry.backoff.max.ms": long, "reconnect.backoff.ms": long,
            "reconnect.backoff.max.ms": long, "socket.connection.setup.timeout.ms": long, "buffer.memory": long,
            "delivery.timeout.ms": "0", "batch.size": "\(Int32.max)", "request.timeout.ms": "\(Int32.max)",
        ])
        #expect(configuration.maxBlockMs == Int(Int64.max))
        #expect(ProducerConfiguration.nanoseconds(milliseconds: configuration.maxBlockMs) == UInt64(1) << 62)
        #expect(ProducerConfiguration.nanoseconds(milliseconds: 5) == 5_000_000)
        var backoff = RetryBackoff(initialMs: Int(Int64.max), maximumMs: Int(Int64.max), seed: 1)
        #expect(backoff.delay(attempt: 40) <= UInt64(Double(UInt64(1) << 62) * 1.2))
        for (name, value) in [("request.timeout.ms", "\(Int64(Int32.max) + 1)"), ("max.in.flight.requests.per.connection", "0")] {
            #expect(throws: ProducerConfigurationErrors.self) {
                try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", name: value])
            }
        }
    }

    @Test("a producer with every duration at Long.MAX_VALUE starts, sends and closes (no trap on the arithmetic)")
    func foreverDurations() async throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        try cluster.createTopic("forever", partitions: 1)
        let long = "\(Int64.max)"
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrap, "max.block.ms": long, "metadata.max.age.ms": long,
                "linger.ms": "0", "retry.backoff.max.ms": long, "reconnect.backoff.max.ms": long,
                "socket.connection.setup.timeout.ms": long, "buffer.memory": long, "delivery.timeout.ms": "0",
            ]),
            logger: Logger(label: "test.forever"))
        let metadata = try await producer.send(ProducerRecord(topic: "forever", value: Array("v".utf8)))
        #expect(metadata.offset == 0)
        #expect(await producer.close(timeout: .seconds(Int64.max)))
    }
}
