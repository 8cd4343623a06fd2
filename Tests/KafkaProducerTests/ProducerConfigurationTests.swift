import KafkaWire
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
            guard let error = error as? ProducerConfigurationError else { return false }
            return error.property == property && "\(error)".contains(property)
        }
    }

    @Test("a missing bootstrap.servers is an error")
    func missingBootstrap() {
        #expect { try ProducerConfiguration(properties: [:]) } throws: {
            ($0 as? ProducerConfigurationError)?.code == .missingProperty
        }
    }

    @Test("implicit idempotence yields to acks=1; explicit idempotence with acks=1 is a conflict")
    func idempotenceConflicts() throws {
        let implicit = try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "acks": "1"])
        #expect(!implicit.enableIdempotence)
        #expect { try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "acks": "1", "enable.idempotence": "true"]) } throws: {
            ($0 as? ProducerConfigurationError)?.code == .conflict && ($0 as? ProducerConfigurationError)?.property == "acks"
        }
        #expect { try ProducerConfiguration(properties: ["bootstrap.servers": "h:1", "max.in.flight.requests.per.connection": "6", "enable.idempotence": "true"]) } throws: {
            ($0 as? ProducerConfigurationError)?.property == "max.in.flight.requests.per.connection"
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
}
