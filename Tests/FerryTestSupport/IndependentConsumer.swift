import Foundation

/// One message as librdkafka (through confluent-kafka) consumed it.
public struct ConsumedRecord: Hashable, Sendable {
    public var partition: Int
    public var offset: Int64
    public var timestamp: Int64
    public var key: [UInt8]?
    public var value: [UInt8]?
    public var headers: [(String, [UInt8]?)]

    public static func == (a: ConsumedRecord, b: ConsumedRecord) -> Bool {
        a.partition == b.partition && a.offset == b.offset && a.timestamp == b.timestamp && a.key == b.key
            && a.value == b.value && a.headers.elementsEqual(b.headers) { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(partition)
        hasher.combine(offset)
    }

    /// The value of the first header named `key`.
    public func header(_ key: String) -> [UInt8]? {
        headers.first { $0.0 == key }?.1 ?? nil
    }
}

/// Reads back a topic with a client that is not ours: `scripts/verify/consume.py` (confluent-kafka with
/// `check.crcs=true`, every partition assigned from offset 0).
public enum IndependentConsumer {
    /// What the consumer reported.
    public struct Outcome: Sendable {
        public var records: [ConsumedRecord]
        public var errors: [String]
        public var summary: String
    }

    /// Consumes `topic` until `count` messages arrived and 1 s passed with no more (or `idle` s of silence).
    public static func consume(
        bootstrap: String, topic: String, count: Int = 0, idle: Double = 5, timeout: Double = 600,
        settings: [String: String] = [:]
    ) throws -> Outcome {
        let directory = try TemporaryDirectory("consume")
        defer { directory.remove() }
        let out = directory.file("records.bin")
        let result = try Subprocess.python(
            "verify/consume.py",
            ["--bootstrap", bootstrap, "--topic", topic, "--out", out, "--count", "\(count)", "--idle", "\(idle)",
             "--timeout", "\(timeout)"] + settings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] },
            timeout: timeout + 60)
        let data = (try? Data(contentsOf: URL(fileURLWithPath: out))) ?? Data()
        let records = try parse(data)
        var errors: [String] = []
        if result.status != 0 { errors.append("consume.py exited \(result.status): \(result.stderr.suffix(2000)) \(result.stdout)") }
        return Outcome(records: records, errors: errors, summary: result.stdout)
    }

    static func parse(_ data: Data) throws -> [ConsumedRecord] {
        var records: [ConsumedRecord] = []
        try data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            var position = 0
            func need(_ count: Int) throws {
                guard position + count <= bytes.count else {
                    throw Subprocess.Failure(description: "consumer dump cut short at \(position)")
                }
            }
            func u16() throws -> Int { try need(2); defer { position += 2 }; return Int(bytes[position]) << 8 | Int(bytes[position + 1]) }
            func u32() throws -> UInt32 {
                try need(4)
                defer { position += 4 }
                return (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[position + $1]) }
            }
            func u64() throws -> UInt64 {
                try need(8)
                defer { position += 8 }
                return (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[position + $1]) }
            }
            func blob() throws -> [UInt8]? {
                let length = Int32(bitPattern: try u32())
                if length < 0 { return nil }
                try need(Int(length))
                defer { position += Int(length) }
                return Array(bytes[position..<(position + Int(length))])
            }
            while position < bytes.count {
                let partition = Int(try u32())
                let offset = Int64(bitPattern: try u64())
                let timestamp = Int64(bitPattern: try u64())
                let key = try blob()
                let value = try blob()
                let headerCount = Int(try u32())
                var headers: [(String, [UInt8]?)] = []
                for _ in 0..<headerCount {
                    let keyLength = try u16()
                    try need(keyLength)
                    let name = String(decoding: bytes[position..<(position + keyLength)], as: UTF8.self)
                    position += keyLength
                    headers.append((name, try blob()))
                }
                records.append(ConsumedRecord(
                    partition: partition, offset: offset, timestamp: timestamp, key: key, value: value, headers: headers))
            }
        }
        return records
    }
}
