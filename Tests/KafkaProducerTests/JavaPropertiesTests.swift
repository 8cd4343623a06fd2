import Logging
import Testing

@testable import KafkaProducer

/// `java.util.Properties.load`'s format, as `producer.properties` files use it.
@Suite("Java properties files")
struct JavaPropertiesTests {
    @Test("separators =, : and blanks; blanks around them skipped; # and ! comments; blank lines; the last key wins")
    func separatorsAndComments() throws {
        let text = """
            # a comment
            ! another comment
            bootstrap.servers=localhost:9092
              acks : all
            linger.ms 5

            client.id=   spaced value\u{20}\u{20}
            empty.key.value=
            lonely
            acks=1
            url=http://host:80/path?a=b
            """
        let properties = try JavaProperties.parse(text)
        #expect(properties == [
            "bootstrap.servers": "localhost:9092", "acks": "1", "linger.ms": "5", "client.id": "spaced value  ",
            "empty.key.value": "", "lonely": "", "url": "http://host:80/path?a=b",
        ])
    }

    @Test("a line ending in an odd number of backslashes continues, the next line's leading blanks skipped; an even number does not")
    func continuations() throws {
        let text = "bootstrap.servers=a:1,\\\n    b:2,\\\n\tc:3\npath=C:\\\\\nnext=x\n# comment \\\nafter.comment=y\n"
        let properties = try JavaProperties.parse(text)
        #expect(properties["bootstrap.servers"] == "a:1,b:2,c:3")
        #expect(properties["path"] == "C:\\")
        #expect(properties["next"] == "x")
        #expect(properties["after.comment"] == "y")
    }

    @Test("escapes: \\t \\n \\r \\f, \\uXXXX (surrogate pairs joined), escaped separators in keys, any other character itself")
    func escapes() throws {
        let text = #"""
            a\=b\:c\ d=v
            tabs=1\t2\n3\r4\f5
            unicode=\u0041\u00e9\uD83D\uDE00
            other=\q\\
            """#
        let properties = try JavaProperties.parse(text)
        #expect(properties["a=b:c d"] == "v")
        #expect(properties["tabs"] == "1\t2\n3\r4\u{0C}5")
        #expect(properties["unicode"] == "Aé😀")
        #expect(properties["other"] == "q\\")
    }

    @Test("\\n, \\r\\n and \\r end lines alike; UTF-8 is read as UTF-8, other bytes as ISO-8859-1")
    func lineEndsAndEncodings() throws {
        #expect(try JavaProperties.parse("a=1\r\nb=2\rc=3\nd=4") == ["a": "1", "b": "2", "c": "3", "d": "4"])
        #expect(try JavaProperties.parse(Array("name=café".utf8)) == ["name": "café"])
        #expect(try JavaProperties.parse([0x6E, 0x3D, 0x63, 0x61, 0x66, 0xE9]) == ["n": "café"])
    }

    @Test("every malformed \\u escape is reported with its line")
    func malformed() {
        do {
            _ = try JavaProperties.parse("ok=1\nbad=\\u12\nfine=2\nalso=\\uZZZZ\n")
            Issue.record("expected errors")
        } catch {
            #expect(error.errors.map(\.line) == [2, 4])
            #expect(error.description.contains("line 2: malformed \\uXXXX escape"))
        }
    }

    @Test("entries keep the line each starts on (continuations count from their first line)")
    func entryLines() throws {
        let entries = try JavaProperties.entries(Array("# c\n\na=1\nb=x,\\\n  y\nc=3\n".utf8))
        #expect(entries.map(\.key) == ["a", "b", "c"])
        #expect(entries.map(\.line) == [3, 4, 6])
    }
}

/// What a Java service's `producer.properties` holds, beyond this client's own properties.
@Suite("Java producer properties")
struct JavaProducerPropertiesTests {
    static let javaService = """
        # producer.properties from a Java service
        bootstrap.servers=localhost:9092
        key.serializer=org.apache.kafka.common.serialization.StringSerializer
        value.serializer=org.apache.kafka.common.serialization.ByteArraySerializer
        acks=all
        compression.type=lz4
        linger.ms=20
        batch.size=65536
        send.buffer.bytes=131072
        receive.buffer.bytes=-1
        client.dns.lookup=use_all_dns_ips
        connections.max.idle.ms=540000
        security.protocol=PLAINTEXT
        ssl.truststore.location=/etc/kafka/truststore.jks
        metric.reporters=
        interceptor.classes=
        """

    @Test("a Java service's file: serializers read, inert properties accepted and listed with why")
    func javaServiceFile() throws {
        let configuration = try ProducerConfiguration(properties: JavaProperties.parse(Self.javaService))
        #expect(configuration.keySerializer == .string && configuration.valueSerializer == .byteArray)
        #expect(configuration.compressionType == .lz4 && configuration.lingerMs == 20 && configuration.batchSize == 65536)
        #expect(Set(configuration.ignoredProperties.keys) == [
            "send.buffer.bytes", "receive.buffer.bytes", "client.dns.lookup", "connections.max.idle.ms",
            "security.protocol", "ssl.truststore.location", "metric.reporters", "interceptor.classes",
        ])
        #expect(configuration.ignoredProperties["ssl.truststore.location"]?.contains("PLAINTEXT") == true)
    }

    @Test("every bad property at once: other serializers (naming the supported ones), near misses with did-you-mean, Java classes, transactions, SASL without a mechanism, Java ranges")
    func problems() {
        do {
            _ = try ProducerConfiguration(properties: [
                "bootstrap.servers": "a:1", "key.serializer": "com.example.AvroSerializer", "lingr.ms": "5",
                "compresion.type": "gzip", "transactional.id": "tx-1", "partitioner.class": "com.example.MyPartitioner",
                "security.protocol": "SASL_SSL", "send.buffer.bytes": "-2", "completely.unknown.thing": "1",
            ])
            Issue.record("expected errors")
        } catch {
            let byName = Dictionary(grouping: error.errors, by: \.property)
            #expect(byName.count == 10, "\(error)")
            #expect(byName["key.serializer"]?.first?.message.contains("org.apache.kafka.common.serialization.StringSerializer") == true)
            #expect(byName["key.serializer"]?.first?.message.contains("ByteBufferSerializer") == true)
            #expect(byName["lingr.ms"]?.first?.message.contains("did you mean linger.ms?") == true)
            #expect(byName["compresion.type"]?.first?.message.contains("did you mean compression.type?") == true)
            #expect(byName["completely.unknown.thing"]?.first?.message.contains("did you mean") == false)
            #expect(byName["transactional.id"]?.first?.code == .unsupported)
            #expect(byName["partitioner.class"]?.first?.code == .unsupported)
            #expect(byName["sasl.mechanism"]?.first?.code == .missingProperty, "SASL_SSL needs a mechanism")
            #expect(byName["sasl.username"]?.first?.code == .missingProperty && byName["sasl.password"]?.first?.code == .missingProperty)
            #expect(byName["send.buffer.bytes"]?.first?.code == .invalidValue)
        }
    }

    @Test("edit distance: stops early beyond the limit; suggestions only for near misses")
    func suggestions() {
        #expect(NameSuggestion.distance("linger.ms", "linger.ms", limit: 2) == 0)
        #expect(NameSuggestion.distance("lingr.ms", "linger.ms", limit: 2) == 1)
        #expect(NameSuggestion.distance("", "abc", limit: 5) == 3)
        #expect(NameSuggestion.distance("abc", "", limit: 5) == 3)
        #expect(NameSuggestion.distance("abcdef", "uvwxyz", limit: 2) == 3)
        #expect(ProducerConfiguration.suggestion(for: "bootstrap.server") == "bootstrap.servers")
        #expect(ProducerConfiguration.suggestion(for: "max.block.msec") == "max.block.ms")
        #expect(ProducerConfiguration.suggestion(for: "zzz") == nil)
    }

    /// The error `body` throws, if any.
    static func outcome(_ body: () throws(ProducerError) -> Int32) -> ProducerError? {
        do {
            _ = try body()
            return nil
        } catch {
            return error
        }
    }

    @Test("records typed as the serializers say: String, [UInt8], ByteBuffer; another type is refused at send (serialization_error)")
    func recordTypes() throws {
        var configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "127.0.0.1:1", "key.serializer": RecordSerializer.string.rawValue,
            "value.serializer": RecordSerializer.byteArray.rawValue, "max.block.ms": "0",
        ])
        configuration.reconnectBackoffMs = 1000
        let producer = try KafkaProducer(configuration: configuration, logger: Logger(label: "test"))
        defer { Task { _ = await producer.close(timeout: .seconds(1)) } }
        let wrongValue = ProducerRecord(topic: "t", key: "k", value: "v")
        #expect(wrongValue.keyType == .string && wrongValue.valueType == .string)
        let refused = Self.outcome { () throws(ProducerError) in try producer.send(wrongValue, token: 1) }
        #expect(refused?.code == .serializationError)
        #expect(refused?.message.contains("the record's value is given for StringSerializer") == true, "\(String(describing: refused))")
        #expect(refused?.message.contains("value.serializer is ByteArraySerializer") == true)
        // The right types pass the check (and then wait for metadata: max.block.ms 0 fails at once).
        let right = ProducerRecord(topic: "t", key: "k", value: [UInt8]([1, 2]))
        #expect(right.keyType == .string && right.valueType == .byteArray)
        let waited = Self.outcome { () throws(ProducerError) in try producer.send(right, token: 2) }
        #expect(waited?.code == .metadataTimeout)
        // Raw bytes (the untyped initializer) are taken by any serializer.
        let raw = ProducerRecord(topic: "t", key: [UInt8]?.none, value: [1])
        #expect(raw.keyType == nil && raw.valueType == nil)
    }
}
