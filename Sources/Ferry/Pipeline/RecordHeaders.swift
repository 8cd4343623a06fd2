import KafkaWire

/// Encodes the headers Ferry adds to records (`log.file.path`, `log.offset`, `host.name`, `stream`,
/// `log.piece`) in
/// Kafka's record-header encoding, without allocating per record: the headers that are the same for every
/// line of a file are encoded once into a prefix; the per-line ones are written next to it.
struct RecordHeaders {
    /// The encoded headers shared by every record of a file.
    private(set) var prefix: [UInt8] = []
    /// How many headers ``prefix`` holds.
    private(set) var prefixCount = 0
    /// Whether `log.offset` is added per record.
    let withOffset: Bool
    /// Whether pieces of a long line carry `log.piece`.
    let withPiece: Bool

    /// Prepares the headers of a file of `input`.
    init(input: InputConfiguration, path: String, hostName: String) {
        withOffset = input.headers.contains(.offset)
        withPiece = input.headers.contains(.piece)
        if input.headers.contains(.path) { append(key: "log.file.path", value: Array(path.utf8)) }
        if input.headers.contains(.host) { append(key: "host.name", value: Array(hostName.utf8)) }
    }

    private mutating func append(key: String, value: [UInt8]) {
        Self.append(key: Array(key.utf8), value: value, to: &prefix)
        prefixCount += 1
    }

    static func append(key: [UInt8], value: [UInt8], to output: inout [UInt8]) {
        var scratch = [UInt8](repeating: 0, count: 10)
        let keyLength = scratch.withUnsafeMutableBytes { KafkaVarint.encode(signed: Int64(key.count), to: $0.baseAddress!) }
        output += scratch[0..<keyLength]
        output += key
        let valueLength = scratch.withUnsafeMutableBytes { KafkaVarint.encode(signed: Int64(value.count), to: $0.baseAddress!) }
        output += scratch[0..<valueLength]
        output += value
    }

    static let offsetKey = Array("log.offset".utf8)
    static let streamKey = Array("stream".utf8)
    static let pieceKey = Array("log.piece".utf8)

    /// Size of one header with a `keyLength`-byte key and a `valueLength`-byte value.
    @inline(__always)
    static func size(keyLength: Int, valueLength: Int) -> Int {
        KafkaVarint.size(signed: Int64(keyLength)) + keyLength + KafkaVarint.size(signed: Int64(valueLength)) + valueLength
    }

    /// Writes a header at `pointer`; returns the bytes written.
    @inline(__always)
    static func write(key: [UInt8], value: UnsafeRawBufferPointer, to pointer: UnsafeMutableRawPointer) -> Int {
        var position = KafkaVarint.encode(signed: Int64(key.count), to: pointer)
        key.withUnsafeBytes { (pointer + position).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        position += key.count
        position += KafkaVarint.encode(signed: Int64(value.count), to: pointer + position)
        if value.count > 0 { (pointer + position).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return position + value.count
    }
}

/// The decimal digits of a non-negative offset, in a fixed buffer (no allocation).
struct DecimalDigits {
    private var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private(set) var count = 0

    init(_ value: Int64) {
        var remaining = UInt64(max(value, 0))
        var written = 0
        withUnsafeMutableBytes(of: &storage) { buffer in
            var position = 24
            repeat {
                position -= 1
                buffer[position] = UInt8(truncatingIfNeeded: remaining % 10) + 0x30
                remaining /= 10
            } while remaining > 0
            written = 24 - position
            if position > 0 {
                buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + position, byteCount: written)
            }
        }
        count = written
    }

    /// Runs `body` with the digits.
    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        withUnsafeBytes(of: storage) { body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}
