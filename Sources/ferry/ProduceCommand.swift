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
/// `\r`), from standard input or `--file`, or one record per file named as an argument; prints what was
/// delivered; exits non-zero if anything was not.
struct ProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Send lines to a Kafka topic, one record per line (like kcat -P).",
        discussion: """
            A line is the bytes before a newline, without a trailing carriage return; a last line without a \
            newline is sent too, and empty lines are sent as empty records. Files given as arguments are sent \
            whole, one record each (like kcat -P FILE...). Properties come from -F FILE (a Java \
            producer.properties file), then the flags, then -X. A record that cannot be sent within \
            delivery.timeout.ms fails, the wait for the topic's metadata included. The exit status is 0 only \
            when the broker acknowledged every record; 1 when some were not delivered (or the input cannot be \
            read); 64 on bad arguments.
            """)

    @Option(name: [.short, .customLong("brokers")], help: "Bootstrap brokers, host:port[,host:port...] (bootstrap.servers).")
    var brokers: String?

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

    @Option(
        name: .customShort("F"),
        help: "Read producer properties from this file: a Java producer.properties (key=value, key: value, # and ! comments, continuations), like kcat -F.")
    var propertiesFile: String?

    @Option(name: .customShort("H"), help: "A header on every record, name=value (repeatable), like kcat -H.")
    var headers: [String] = []

    @Argument(help: "Files to send, each as one record (like kcat -P FILE...); without them, lines from standard input or -l.")
    var files: [String] = []

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .warning

    @Option(name: .customLong("close-timeout-ms"), help: "How long to wait for the last acknowledgements.")
    var closeTimeoutMs: Int = 120_000

    func run() async throws {
        StandardErrorLog.bootstrap(level: logLevel)
        let logger = Logger(label: "ferry.produce")
        var settings: [String: String] = [
            "client.id": "ferry-produce", "linger.ms": "10", "batch.size": "1048576",
            "max.request.size": "4194304", "buffer.memory": "8388608",
        ]
        // Where each property from -F was written, to name file and line in its errors.
        var fileLines: [String: Int] = [:]
        if let propertiesFile {
            for entry in try Self.readProperties(propertiesFile) {
                settings[entry.key] = entry.value
                fileLines[entry.key] = entry.line
            }
        }
        var fromFlags: [String: String] = [:]
        if let brokers { fromFlags["bootstrap.servers"] = brokers }
        if let compression { fromFlags["compression.type"] = compression }
        if let acks { fromFlags["acks"] = acks }
        for property in properties {
            guard let (name, value) = Self.nameAndValue(property) else {
                throw ValidationError("-X \(property): expected name=value")
            }
            fromFlags[name] = value
        }
        for (name, value) in fromFlags {
            settings[name] = value
            fileLines[name] = nil
        }
        // A record fails at delivery.timeout.ms at the latest, as with kcat's message.timeout.ms: unless given,
        // the wait for metadata (max.block.ms, 60 s) and the request timeout (30 s, which Java wants within
        // delivery.timeout.ms less linger.ms) are shortened to fit.
        if let limit = settings["delivery.timeout.ms"].flatMap({ Int($0) }), limit > 0 {
            if settings["max.block.ms"] == nil, limit < 60_000 { settings["max.block.ms"] = "\(limit)" }
            // Clamped: a negative linger.ms (refused below, by the configuration) must not overflow this.
            let linger = max(0, settings["linger.ms"].flatMap { Int($0) } ?? 0)
            if settings["request.timeout.ms"] == nil, limit - linger < 30_000 {
                settings["request.timeout.ms"] = "\(max(1, limit - linger))"
            }
        }
        if settings["bootstrap.servers"] == nil {
            throw ValidationError("no brokers: give -b host:port (or bootstrap.servers in -F's file)")
        }
        if keyDelimiter != nil && key != nil {
            throw ValidationError("--key and --key-delimiter cannot be used together")
        }
        if let keyDelimiter, keyDelimiter.utf8.count != 1 {
            throw ValidationError("--key-delimiter must be a single byte")
        }
        if file != nil && !files.isEmpty {
            throw ValidationError("-l reads lines from one file: give the file to -l, or files to send whole, not both")
        }
        let recordHeaders = headers.map { header -> RecordHeader in
            guard let (name, value) = Self.nameAndValue(header) else { return RecordHeader(key: header, value: nil) }
            return RecordHeader(key: name, string: value)
        }
        let configuration: ProducerConfiguration
        do {
            configuration = try ProducerConfiguration(properties: settings)
        } catch {
            let problems = error.errors.map { problem in
                fileLines[problem.property].map { "\(propertiesFile ?? ""):\($0): \(problem)" } ?? "\(problem)"
            }
            throw ValidationError(problems.joined(separator: "\n"))
        }

        let tally = DeliveryTally()
        let producer = try KafkaProducer(configuration: configuration, logger: logger, onDelivery: { report in
            tally.record(report)
        })
        let delimiter = keyDelimiter?.utf8.first
        // Option values copied out once (reading an @Option per line costs a generic metadata lookup), and the
        // loop's state in one struct: one exclusive access per line instead of one per captured variable.
        var sending = RecordSending(
            sender: LineSender(producer: producer, topic: topic, partition: partition, headers: recordHeaders),
            fixedKey: key.map { Array($0.utf8) }, tally: tally, maxRequestSize: configuration.maxRequestSize)
        if !files.isEmpty {
            for path in files {
                sending.timestamp = WallClockMilliseconds.now()
                switch WholeFile.read(path, maxBytes: configuration.maxRequestSize) {
                case .failure(let failure):
                    FileHandleStream.standardError.write("ferry produce: \(failure)\n")
                    sending.refused += 1
                    continue
                case .success(.tooLong(let length)):
                    sending.tooLong(length, "file (\(path))")
                    continue
                case .success(.bytes(let bytes)):
                    bytes.withUnsafeBytes { sending.send(key: nil, value: $0) }
                }
            }
        } else {
            let source: LineSource
            do {
                // A line that cannot fit in a request is refused without being held in memory.
                source = try LineSource(path: file, maxLineBytes: configuration.maxRequestSize)
            } catch {
                await producer.close(timeout: .seconds(1))
                FileHandleStream.standardError.write("ferry produce: \(error)\n")
                throw ExitCode(1)
            }
            do {
                try source.forEachLine(
                    chunkRead: { sending.timestamp = WallClockMilliseconds.now() }, tooLong: { sending.tooLong($0, "line") }
                ) { line in
                    var keyPart: UnsafeRawBufferPointer? = nil
                    var valuePart = line
                    if let delimiter, let split = line.firstIndex(of: delimiter) {
                        keyPart = UnsafeRawBufferPointer(rebasing: line[..<split])
                        valuePart = UnsafeRawBufferPointer(rebasing: line[(split + 1)...])
                    }
                    sending.send(key: keyPart, value: valuePart)
                }
            } catch {
                FileHandleStream.standardError.write("ferry produce: reading input: \(error)\n")
                sending.refused += 1
            }
        }
        await producer.flush()
        let clean = await producer.close(timeout: .milliseconds(closeTimeoutMs))
        let (delivered, failed, errors) = tally.result
        let (sent, refused) = (sending.sent, sending.refused)
        let line = "records read: \(sent + refused), sent: \(sent), delivered: \(delivered), failed: \(UInt64(failed) + refused)\n"
        FileHandleStream.standardError.write(line)
        for error in errors { FileHandleStream.standardError.write("  \(error)\n") }
        if delivered != Int(sent) || refused > 0 || !clean {
            throw ExitCode(1)
        }
    }


    /// `name=value` split at the first `=` (the value may hold more), or nil without one.
    static func nameAndValue(_ text: String) -> (String, String)? {
        guard let equals = text.firstIndex(of: "=") else { return nil }
        return (String(text[..<equals]), String(text[text.index(after: equals)...]))
    }

    /// The entries of a properties file (`-F`), or a usage error naming file and line.
    static func readProperties(_ path: String) throws -> [JavaProperties.Entry] {
        let bytes: [UInt8]
        switch WholeFile.read(path, maxBytes: 16 << 20) {
        case .failure(let failure): throw ValidationError("-F \(failure)")
        case .success(.tooLong(let length)): throw ValidationError("-F \(path): \(length) bytes is not a properties file")
        case .success(.bytes(let read)): bytes = read
        }
        do {
            return try JavaProperties.entries(bytes)
        } catch {
            throw ValidationError(error.errors.map { "\(path):\($0.line): \($0.message)" }.joined(separator: "\n"))
        }
    }
}

/// The send loop's state: what was sent and refused, the timestamp of the current read.
struct RecordSending {
    let sender: LineSender
    let fixedKey: [UInt8]?
    let tally: DeliveryTally
    let maxRequestSize: Int
    var sent: UInt64 = 0
    var refused: UInt64 = 0
    var timestamp = WallClockMilliseconds.now()
    /// Set when the topic's metadata never came: the records after it fail at once instead of each waiting
    /// max.block.ms again.
    var noMetadata = false

    init(sender: LineSender, fixedKey: [UInt8]?, tally: DeliveryTally, maxRequestSize: Int) {
        self.sender = sender
        self.fixedKey = fixedKey
        self.tally = tally
        self.maxRequestSize = maxRequestSize
    }

    mutating func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer) {
        guard !noMetadata else {
            refused += 1
            return
        }
        let failure: ProducerError?
        if let fixedKey {
            let (sender, timestamp, token) = (sender, timestamp, sent)
            failure = fixedKey.withUnsafeBytes { keyBytes in
                Self.attempt { () throws(ProducerError) in
                    try sender.send(key: keyBytes, value: value, timestamp: timestamp, token: token)
                }
            }
        } else {
            failure = Self.attempt { () throws(ProducerError) in
                try sender.send(key: key, value: value, timestamp: timestamp, token: sent)
            }
        }
        guard let failure else {
            sent += 1
            return
        }
        refused += 1
        tally.refuse(failure)
        if failure.code == .metadataTimeout { noMetadata = true }
    }

    /// The error `body` throws, if any.
    @inline(__always)
    static func attempt(_ body: () throws(ProducerError) -> Void) -> ProducerError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    mutating func tooLong(_ length: Int64, _ what: String) {
        refused += 1
        tally.refuse(ProducerError(
            .recordTooLarge, topic: sender.topic,
            "a \(what) of \(length) bytes is longer than max.request.size (\(maxRequestSize)) allows"))
    }
}

/// Sends one line as a record: the fixed parts of every record, resolved once.
struct LineSender {
    let producer: KafkaProducer
    let topic: String
    let partition: Int32?
    let headers: [RecordHeader]
    let headersSize: Int

    init(producer: KafkaProducer, topic: String, partition: Int32?, headers: [RecordHeader]) {
        self.producer = producer
        self.topic = topic
        self.partition = partition
        self.headers = headers
        headersSize = headers.reduce(0) { $0 + $1.encodedSize }
    }

    func send(key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer, timestamp: Int64, token: UInt64) throws(ProducerError) {
        try producer.append(
            topic: topic, partition: partition, timestamp: timestamp, key: key, value: value, headerCount: headers.count,
            headersSize: headersSize, token: token, writeHeaders: { [headers] pointer in RecordHeader.write(headers, to: pointer) })
    }
}

/// A whole file read as one record, bounded: a file longer than the limit is not read into memory.
enum WholeFile {
    enum Content {
        case bytes([UInt8])
        case tooLong(Int64)
    }

    static func read(_ path: String, maxBytes: Int) -> Result<Content, LineSource.Failure> {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .failure(LineSource.Failure(description: "\(path): \(String(cString: strerror(errno)))")) }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var total: Int64 = 0
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(LineSource.Failure(description: "\(path): read: \(String(cString: strerror(errno)))"))
            }
            if count == 0 { break }
            total += Int64(count)
            if total <= Int64(maxBytes) {
                bytes.append(contentsOf: chunk[0..<count])
            } else {
                bytes = []  // too long: keep counting, hold nothing
            }
        }
        return total <= Int64(maxBytes) ? .success(.bytes(bytes)) : .success(.tooLong(total))
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
