import ArgumentParser
import Atomics
import KafkaProducer
import KafkaWire
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// `ferry produce`: a kcat-style sender. One record per line (the bytes before `\n`, without a trailing
/// `\r`), from standard input or `--file`; prints what was delivered; exits non-zero if anything was not.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send lines to a Kafka topic, one record per line (like kcat -P).",
        discussion: """
            A line is the bytes before a newline, without a trailing carriage return; a last line without a \
            newline is sent too, and empty lines are sent as empty records. The exit status is 0 only when \
            the broker acknowledged every record; 1 when some were not delivered (or the input cannot be read); \
            64 on bad arguments.
            """)

    @Option(name: [.short, .customLong("brokers")], help: "Bootstrap brokers, host:port[,host:port...] (bootstrap.servers).")
    var brokers: String

    @Option(name: [.short, .long], help: "The topic.")
    var topic: String

    @Option(name: [.customShort("l"), .long], help: "Read lines from this file instead of standard input (like kcat -l).")
    var file: String?

    @Option(name: [.short, .long], help: "A fixed key for every record.")
    var key: String?

    @Option(name: [.customShort("K"), .customLong("key-delimiter")], help: "Split each line at the first occurrence of this byte into key and value (like kcat -K).")
    var keyDelimiter: String?

    @Option(name: [.short, .long], help: "Send every record to this partition.")
    var partition: Int32?

    @Option(name: [.customShort("z"), .customLong("compression")], help: "none, gzip or lz4 (compression.type), like kcat -z.")
    var compression: String?

    @Option(name: .long, help: "all, -1, 0 or 1 (acks).")
    var acks: String?

    @Option(name: .customShort("X"), help: "A producer property, name=value (repeatable).")
    var properties: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(name: .customLong("close-timeout-ms"), help: "How long to wait for the last acknowledgements.")
    var closeTimeoutMs: Int = 120_000

    func run() async throws {
        StandardErrorLog.bootstrap(level: logLevel)
        let logger = Logger(label: "ferry.produce")
        var settings: [String: String] = [
            "bootstrap.servers": brokers, "client.id": "ferry-produce", "linger.ms": "10", "batch.size": "1048576",
            "max.request.size": "4194304", "buffer.memory": "8388608",
        ]
        if let compression { settings["compression.type"] = compression }
        if let acks { settings["acks"] = acks }
        for property in properties {
            guard let equals = property.firstIndex(of: "=") else {
                throw ValidationError("-X \(property): expected name=value")
            }
            settings[String(property[..<equals])] = String(property[property.index(after: equals)...])
        }
        if keyDelimiter != nil && key != nil {
            throw ValidationError("--key and --key-delimiter cannot be used together")
        }
        if let keyDelimiter, keyDelimiter.utf8.count != 1 {
            throw ValidationError("--key-delimiter must be a single byte")
        }
        let configuration: ProducerConfiguration
        do {
            configuration = try ProducerConfiguration(properties: settings)
        } catch {
            throw ValidationError("\(error)")
        }

        let tally = DeliveryTally()
        let producer = try KafkaProducer(configuration: configuration, logger: logger, onDelivery: { report in
            tally.record(report)
        })
        let source: LineSource
        do {
            // A line that cannot fit in a request is refused without being held in memory.
            source = try LineSource(path: file, maxLineBytes: configuration.maxRequestSize)
        } catch {
            await producer.close(timeout: .seconds(1))
            FileHandleStream.standardError.write("ferry produce: \(error)\n")
            throw ExitCode(1)
        }
        var sent: UInt64 = 0
        var refused: UInt64 = 0
        let fixedKey = key.map { Array($0.utf8) }
        let delimiter = keyDelimiter?.utf8.first
        // Option values copied out once: reading an @Option per line costs a generic metadata lookup.
        let sender = LineSender(producer: producer, topic: topic, partition: partition)
        var timestamp = WallClockMilliseconds.now()
        do {
            try source.forEachLine(chunkRead: { timestamp = WallClockMilliseconds.now() }, tooLong: { length in
                refused += 1
                tally.refuse(ProducerError(
                    .recordTooLarge, topic: topic,
                    "a line of \(length) bytes is longer than max.request.size (\(configuration.maxRequestSize)) allows"))
            }) { line in
                var keyPart: UnsafeRawBufferPointer? = nil
                var valuePart = line
                if let delimiter, let split = line.firstIndex(of: delimiter) {
                    keyPart = UnsafeRawBufferPointer(rebasing: line[..<split])
                    valuePart = UnsafeRawBufferPointer(rebasing: line[(split + 1)...])
                }
                do {
                    if let fixedKey {
                        try fixedKey.withUnsafeBytes { keyBytes in
                            try sender.send(key: keyBytes, value: valuePart, timestamp: timestamp, token: sent)
                        }
                    } else {
                        try sender.send(key: keyPart, value: valuePart, timestamp: timestamp, token: sent)
                    }
                    sent += 1
                } catch {
                    refused += 1
                    tally.refuse(error)
                }
            }
        } catch {
            FileHandleStream.standardError.write("ferry produce: reading input: \(error)\n")
            refused += 1
        }
        await producer.flush()
        let clean = await producer.close(timeout: .milliseconds(closeTimeoutMs))
        let (delivered, failed, errors) = tally.result
        let line = "records read: \(sent + refused), sent: \(sent), delivered: \(delivered), failed: \(UInt64(failed) + refused)\n"
        FileHandleStream.standardError.write(line)
        for error in errors { FileHandleStream.standardError.write("  \(error)\n") }
        if delivered != Int(sent) || refused > 0 || !clean {
            throw ExitCode(1)
        }
    }

}

/// Sends one line as a record: the fixed parts of every record, resolved once.
struct LineSender {
    let producer: KafkaProducer
    let topic: String
    let partition: Int32?

    func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, timestamp: Int64, token: UInt64) throws(ProducerError) {
        try producer.append(
            topic: topic, partition: partition, timestamp: timestamp, key: key, value: value, headerCount: 0, headersSize: 0,
            token: token, writeHeaders: { _ in })
    }
}

/// Counts outcomes reported on the producer's thread, read at the end.
final class DeliveryTally: Sendable {
    private let state = NIOLockedValueBox<(delivered: Int, failed: Int, errors: [String])>((0, 0, []))

    func record(_ report: DeliveryReport) {
        state.withLockedValue { state in
            if let error = report.error {
                state.failed += report.tokens.count
                if state.errors.count < 10 { state.errors.append("\(report.tokens.count) records: \(error)") }
            } else {
                state.delivered += report.tokens.count
            }
        }
    }

    func refuse(_ error: Error) {
        state.withLockedValue { state in
            if state.errors.count < 10 { state.errors.append("refused: \(error)") }
        }
    }

    var result: (Int, Int, [String]) {
        state.withLockedValue { ($0.delivered, $0.failed, $0.errors) }
    }
}

/// Milliseconds since the epoch.
enum WallClockMilliseconds {
    static func now() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}

/// Writes to standard error without Foundation.
struct FileHandleStream {
    let descriptor: Int32
    static let standardError = FileHandleStream(descriptor: 2)

    func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written <= 0 { return }
                offset += written
            }
        }
    }
}
