import FerryTestSupport
import Foundation
import Testing
import FerryTestTags

/// `ferry produce` as a user runs it (the built executable), against tansu, read back with librdkafka.
@Suite("ferry produce", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct ProduceCommandTests {

    /// A line is the bytes before `\n` without a trailing `\r`; an empty line is an empty record; a last
    /// line without `\n` counts; a lone `\r` inside a line stays.
    static let input = Data("first\r\nsecond\n\nthird\r\r\nin\rside\n\r\nlast without newline".utf8)
    static let lines = ["first", "second", "", "third\r", "in\rside", "", "last without newline"]

    @Test("standard input, lz4 and gzip: every line once, in order, with the line convention", arguments: ["lz4", "gzip", "none"])
    func standardInput(codec: String) throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("lines", partitions: 1)
        let result = try Unprivileged.runFerry(
            ["produce", "-b", broker.bootstrap, "-t", "lines", "-z", codec], stdin: Self.input, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("records read: 7, sent: 7, delivered: 7, failed: 0"), "\(result.stderr)")
        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "lines", count: 7, idle: 3)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        let values = outcome.records.sorted { $0.offset < $1.offset }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
        #expect(values == Self.lines)
        #expect(outcome.records.allSatisfy { $0.key == nil && $0.headers.isEmpty })
    }

    @Test("--file with -K splits key and value at the first delimiter; -k sets one key; -p pins the partition")
    func keysAndPartitions() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("keyed", partitions: 3)
        try broker.createTopic("fixed", partitions: 3)
        let directory = try TemporaryDirectory("produce")
        defer { directory.remove() }
        let path = directory.file("input.log")
        try Data("user-1:login:ok\nuser-2:logout\nno delimiter\n:empty key\n".utf8).write(to: URL(fileURLWithPath: path))

        let keyed = try Unprivileged.runFerry(
            ["produce", "-b", broker.bootstrap, "-t", "keyed", "--file", path, "-K", ":"], timeout: 60)
        #expect(keyed.status == 0, "\(keyed.stderr)")
        let got = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "keyed", count: 4, idle: 3)
        let pairs = Set(got.records.map { [String(decoding: $0.key ?? Array("<nil>".utf8), as: UTF8.self), String(decoding: $0.value ?? [], as: UTF8.self)] })
        #expect(pairs == [["user-1", "login:ok"], ["user-2", "logout"], ["<nil>", "no delimiter"], ["", "empty key"]])

        let fixed = try Unprivileged.runFerry(
            ["produce", "-b", broker.bootstrap, "-t", "fixed", "-l", path, "-k", "host-a", "-p", "2"], timeout: 60)
        #expect(fixed.status == 0, "\(fixed.stderr)")
        let pinned = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "fixed", count: 4, idle: 3)
        #expect(pinned.records.count == 4)
        #expect(pinned.records.allSatisfy { $0.partition == 2 && $0.key == Array("host-a".utf8) })
    }

    @Test("bad arguments exit 64 (EX_USAGE) with the reason; an unreadable input or an unreachable broker exits 1")
    func failures() throws {
        let badProperty = try Unprivileged.runFerry(["produce", "-b", "127.0.0.1:1", "-t", "t", "-X", "linger.ms=soon"], timeout: 30)
        #expect(badProperty.status == 64)
        #expect(badProperty.stderr.contains("linger.ms"), "\(badProperty.stderr)")
        // Numbers the command derives settings from are clamped before the configuration refuses them: this
        // trapped on overflow (delivery.timeout.ms less linger.ms) before it could be reported.
        let hugeLinger = try Unprivileged.runFerry(
            ["produce", "-b", "127.0.0.1:1", "-t", "t", "-X", "delivery.timeout.ms=5000", "-X", "linger.ms=-9223372036854775808"],
            stdin: Data(), timeout: 30)
        #expect(hugeLinger.status == 64, "\(hugeLinger.stderr)")
        #expect(hugeLinger.stderr.contains("linger.ms=-9223372036854775808: must be between 0"), "\(hugeLinger.stderr)")
        let bothKeys = try Unprivileged.runFerry(["produce", "-b", "127.0.0.1:1", "-t", "t", "-k", "a", "-K", ":"], timeout: 30)
        #expect(bothKeys.status == 64)
        let missingFile = try Unprivileged.runFerry(["produce", "-b", "127.0.0.1:1", "-t", "t", "--file", "/nonexistent/x.log"], timeout: 30)
        #expect(missingFile.status == 1)
        #expect(missingFile.stderr.contains("/nonexistent/x.log"), "\(missingFile.stderr)")

        let port = try FreePort.find()
        let unreachable = try Unprivileged.runFerry(
            ["produce", "-b", "127.0.0.1:\(port)", "-t", "t", "-X", "max.block.ms=500",
             "--close-timeout-ms", "3000"],
            stdin: Data("one\ntwo\n".utf8), timeout: 60)
        #expect(unreachable.status == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("records read: 2, sent: 0, delivered: 0, failed: 2"), "\(unreachable.stderr)")
    }

    @Test("-F reads a Java service's producer.properties (serializer lines, inert tuning, comments, continuations); -H adds headers; files given as arguments are one record each")
    func javaPropertiesHeadersAndFiles() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("from-java", partitions: 1)
        let directory = try TemporaryDirectory("produce-java")
        defer { directory.remove() }
        let properties = directory.file("producer.properties")
        let text = """
            # copied from a Java service
            bootstrap.servers=\(broker.bootstrap)
            key.serializer=org.apache.kafka.common.serialization.StringSerializer
            value.serializer = org.apache.kafka.common.serialization.StringSerializer
            acks: all
            compression.type=gzip
            linger.ms=\\
                20
            send.buffer.bytes=131072
            security.protocol=PLAINTEXT
            ssl.truststore.location=/etc/kafka/truststore.jks
            """
        try Data(text.utf8).write(to: URL(fileURLWithPath: properties))
        let one = directory.file("one.json")
        let two = directory.file("two.txt")
        try Data("{\"a\": 1}\n{\"b\": 2}\n".utf8).write(to: URL(fileURLWithPath: one))
        try Data("whole\r\nfile".utf8).write(to: URL(fileURLWithPath: two))
        Unprivileged.handOver(directory.path)

        let lines = try Unprivileged.runFerry(
            ["produce", "-F", properties, "-t", "from-java", "-H", "origin=java", "-H", "empty=", "--log-level", "notice"],
            stdin: Data("x\ny\n".utf8), timeout: 60)
        #expect(lines.status == 0, "\(lines.stderr)")
        #expect(lines.stderr.contains("records read: 2, sent: 2, delivered: 2, failed: 0"), "\(lines.stderr)")
        #expect(lines.stderr.contains("property has no effect in this client"), "\(lines.stderr)")
        let files = try Unprivileged.runFerry(["produce", "-F", properties, "-t", "from-java", one, two], timeout: 60)
        #expect(files.status == 0, "\(files.stderr)")
        #expect(files.stderr.contains("records read: 2, sent: 2, delivered: 2, failed: 0"), "\(files.stderr)")

        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "from-java", count: 4, idle: 3)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        let records = outcome.records.sorted { $0.offset < $1.offset }
        #expect(records.map { String(decoding: $0.value ?? [], as: UTF8.self) }
            == ["x", "y", "{\"a\": 1}\n{\"b\": 2}\n", "whole\r\nfile"])
        #expect(records.prefix(2).allSatisfy {
            $0.headers.count == 2 && $0.headers[0].0 == "origin" && $0.headers[0].1 == Array("java".utf8)
                && $0.headers[1].0 == "empty" && $0.headers[1].1 == []
        })
        #expect(records.suffix(2).allSatisfy { $0.headers.isEmpty })

        // Every problem of the file at once, each at its line; a near miss gets a suggestion.
        let bad = directory.file("bad.properties")
        try Data("bootstrap.servers=\(broker.bootstrap)\nlingr.ms=5\nkey.serializer=com.example.Avro\nacks=2\n".utf8)
            .write(to: URL(fileURLWithPath: bad))
        Unprivileged.handOver(directory.path)
        let refused = try Unprivileged.runFerry(["produce", "-F", bad, "-t", "from-java"], stdin: Data(), timeout: 30)
        #expect(refused.status == 64, "\(refused.stderr)")
        #expect(refused.stderr.contains("\(bad):2: property lingr.ms=5: not a producer property this client knows (did you mean linger.ms?)"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(bad):3: property key.serializer"), "\(refused.stderr)")
        #expect(refused.stderr.contains("\(bad):4: property acks=2"), "\(refused.stderr)")
    }

    @Test("an unreachable cluster with delivery.timeout.ms=5000: exits 1 within about that (not max.block.ms's 60 s), naming the broker; the repeating connection error is logged once")
    func unreachableWithinDeliveryTimeout() throws {
        let port = try FreePort.find()
        let started = Date()
        let result = try Unprivileged.runFerry(
            ["produce", "-b", "127.0.0.1:\(port)", "-t", "t", "-X", "delivery.timeout.ms=5000"],
            stdin: Data("one\ntwo\nthree\n".utf8), timeout: 120)
        let elapsed = Date().timeIntervalSince(started)
        print("ferry produce against an unreachable broker, delivery.timeout.ms=5000: exit \(result.status) after \(String(format: "%.1f", elapsed)) s")
        #expect(result.status == 1, "\(result.stderr)")
        #expect(elapsed < 30, "took \(elapsed) s")
        #expect(result.stderr.contains("records read: 3, sent: 0, delivered: 0, failed: 3"), "\(result.stderr)")
        #expect(result.stderr.contains("brokers not reachable: 127.0.0.1:\(port)"), "\(result.stderr)")
        let connectLines = result.stderr.components(separatedBy: "cannot connect to broker").count - 1
        #expect(connectLines == 1, "\(result.stderr)")
    }

    @Test("a line longer than max.request.size is refused and counted, without being held: 64 MiB with no newline stays small")
    func endlessLine() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("endless", partitions: 1)
        var input = Data("first\n".utf8)
        input.append(Data(repeating: UInt8(ascii: "x"), count: 5 << 20))
        input.append(Data("\nsecond\n".utf8))
        input.append(Data(repeating: UInt8(ascii: "y"), count: 64 << 20))
        let result = try Unprivileged.runFerry(["produce", "-b", broker.bootstrap, "-t", "endless"], stdin: input, timeout: 120)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("records read: 4, sent: 2, delivered: 2, failed: 2"), "\(result.stderr)")
        #expect(result.stderr.contains("a line of 5242880 bytes is longer than max.request.size"), "\(result.stderr)")
        #expect(result.stderr.contains("a line of 67108864 bytes is longer than max.request.size"), "\(result.stderr)")
        print("ferry produce on 69 MiB with two endless lines: peak RSS \(result.peakResidentKiB / 1024) MiB")
        // The debug build's baseline is ~30 MiB; holding the 64 MiB line would be ~100 MiB or more.
        #expect(result.peakResidentKiB < 64 << 10, "peak RSS \(result.peakResidentKiB) KiB")
        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "endless", count: 2, idle: 3)
        #expect(outcome.records.map { String(decoding: $0.value ?? [], as: UTF8.self) } == ["first", "second"])
    }
}
