import NIOCore

/// A throwing reader over one frame or one record batch. Every failure is a ``KafkaWireError`` that
/// carries the whole input, the offset reached and the field being read, so it can be replayed.
public struct KafkaReader {
    /// The bytes not read yet.
    public private(set) var buffer: ByteBuffer
    /// The whole input, kept for error reports (a slice of the same storage: no copy).
    private let whole: ByteBuffer
    /// Where ``buffer`` started inside ``whole``, and its reader index then.
    private let startInWhole: Int
    private let startIndex: Int
    /// The message or structure being read, for error reports.
    public var context: String

    /// Starts reading `buffer` from its reader index.
    public init(_ buffer: ByteBuffer, context: String = "") {
        self.buffer = buffer
        self.whole = buffer
        self.startInWhole = 0
        self.startIndex = buffer.readerIndex
        self.context = context
    }

    private init(_ buffer: ByteBuffer, context: String, whole: ByteBuffer, startInWhole: Int) {
        self.buffer = buffer
        self.whole = whole
        self.startInWhole = startInWhole
        self.startIndex = buffer.readerIndex
        self.context = context
    }

    /// Reads the next `length` bytes as a reader of their own (for a length-delimited structure such as a
    /// record batch or a record). Its errors still carry the whole input and positions within it.
    public mutating func child(_ field: String, length: Int, context: String? = nil) throws -> KafkaReader {
        let start = position
        let bytes = try slice(field, length: length)
        return KafkaReader(bytes, context: context ?? self.context, whole: whole, startInWhole: start)
    }

    /// Bytes not read yet.
    public var remaining: Int { buffer.readableBytes }

    /// Bytes read so far, counted from the start of the whole input.
    public var position: Int { startInWhole + buffer.readerIndex - startIndex }

    /// An error at the current position, carrying the input bytes.
    public func error(_ code: KafkaWireError.Code, _ message: String, field: String = "") -> KafkaWireError {
        KafkaWireError(
            code, message, context: field.isEmpty ? context : "\(context).\(field)",
            bytes: whole.getBytes(at: whole.readerIndex, length: min(whole.readableBytes, KafkaWireError.maximumCapturedBytes)) ?? [],
            offset: position)
    }

    private func truncated(_ field: String, _ needed: Int) -> KafkaWireError {
        error(.truncated, "needed \(needed) bytes, \(remaining) left", field: field)
    }

    /// Reads a fixed-width big-endian integer.
    public mutating func integer<T: FixedWidthInteger>(_ field: String = "", as type: T.Type = T.self) throws -> T {
        guard let value = buffer.readInteger(as: T.self) else {
            throw truncated(field, MemoryLayout<T>.size)
        }
        return value
    }

    /// Reads an `INT8`.
    public mutating func int8(_ field: String = "") throws -> Int8 { try integer(field) }
    /// Reads an `INT16`.
    public mutating func int16(_ field: String = "") throws -> Int16 { try integer(field) }
    /// Reads an `INT32`.
    public mutating func int32(_ field: String = "") throws -> Int32 { try integer(field) }
    /// Reads an `INT64`.
    public mutating func int64(_ field: String = "") throws -> Int64 { try integer(field) }
    /// Reads a `UINT16`.
    public mutating func uint16(_ field: String = "") throws -> UInt16 { try integer(field) }
    /// Reads a `UINT32`.
    public mutating func uint32(_ field: String = "") throws -> UInt32 { try integer(field) }

    /// Reads a `BOOLEAN` (any non-zero byte is true, as Kafka reads it).
    public mutating func bool(_ field: String = "") throws -> Bool { try int8(field) != 0 }

    /// Reads a `FLOAT64`.
    public mutating func float64(_ field: String = "") throws -> Double {
        Double(bitPattern: try integer(field, as: UInt64.self))
    }

    /// Reads an `UNSIGNED_VARINT`.
    public mutating func unsignedVarint(_ field: String = "") throws -> UInt32 {
        let value = try varlongRaw(field, maximumLength: KafkaVarint.maximumLength32)
        guard value <= UInt64(UInt32.max) else {
            throw error(.varintOverflow, "unsigned varint \(value) does not fit 32 bits", field: field)
        }
        return UInt32(value)
    }

    /// Reads a `VARINT` (zig-zag).
    public mutating func varint(_ field: String = "") throws -> Int32 {
        KafkaVarint.unZigZag(try unsignedVarint(field))
    }

    /// Reads a `VARLONG` (zig-zag).
    public mutating func varlong(_ field: String = "") throws -> Int64 {
        KafkaVarint.unZigZag(try varlongRaw(field, maximumLength: KafkaVarint.maximumLength64))
    }

    private mutating func varlongRaw(_ field: String, maximumLength: Int) throws -> UInt64 {
        let decoded = buffer.withUnsafeReadableBytes { bytes in
            KafkaVarint.decodeUnsigned(bytes, at: 0, maximumLength: maximumLength)
        }
        guard let decoded else { throw truncated(field, remaining + 1) }
        guard !decoded.overflow else {
            throw error(.varintOverflow, "varint longer than \(maximumLength) bytes", field: field)
        }
        buffer.moveReaderIndex(forwardBy: decoded.length)
        return decoded.value
    }

    /// Reads a length that precedes a string, bytes or an array: int16/int32 or compact (varint, minus one).
    /// Returns `nil` for null (-1). Lengths below -1 are errors.
    private mutating func length(_ field: String, compact: Bool, wide: Bool) throws -> Int? {
        let value: Int
        if compact {
            value = Int(try unsignedVarint(field)) - 1
        } else if wide {
            value = Int(try int32(field))
        } else {
            value = Int(try int16(field))
        }
        if value == -1 { return nil }
        guard value >= 0 else { throw error(.invalidLength, "negative length \(value)", field: field) }
        return value
    }

    private mutating func stringBody(_ field: String, length: Int) throws -> String {
        guard length <= remaining else { throw truncated(field, length) }
        let slice = buffer.readSlice(length: length)!
        guard let text = slice.withUnsafeReadableBytes({ String(validating: $0, as: UTF8.self) }) else {
            buffer.moveReaderIndex(to: buffer.readerIndex - length)
            throw error(.invalidString, "string of \(length) bytes is not valid UTF-8", field: field)
        }
        return text
    }

    /// Reads a `STRING` or `COMPACT_STRING`; null is an error.
    public mutating func string(_ field: String = "", compact: Bool = false) throws -> String {
        guard let length = try length(field, compact: compact, wide: false) else {
            throw error(.invalidLength, "null where a string is required", field: field)
        }
        return try stringBody(field, length: length)
    }

    /// Reads a `NULLABLE_STRING` or `COMPACT_NULLABLE_STRING`.
    public mutating func nullableString(_ field: String = "", compact: Bool = false) throws -> String? {
        guard let length = try length(field, compact: compact, wide: false) else { return nil }
        return try stringBody(field, length: length)
    }

    /// Reads `BYTES` or `COMPACT_BYTES` as a slice of the input (no copy); null is an error.
    public mutating func bytes(_ field: String = "", compact: Bool = false) throws -> ByteBuffer {
        guard let value = try nullableBytes(field, compact: compact) else {
            throw error(.invalidLength, "null where bytes are required", field: field)
        }
        return value
    }

    /// Reads `NULLABLE_BYTES`, `COMPACT_NULLABLE_BYTES` or `RECORDS` as a slice of the input.
    public mutating func nullableBytes(_ field: String = "", compact: Bool = false) throws -> ByteBuffer? {
        guard let length = try length(field, compact: compact, wide: true) else { return nil }
        guard length <= remaining else { throw truncated(field, length) }
        return buffer.readSlice(length: length)!
    }

    /// Reads `length` raw bytes as a slice.
    public mutating func slice(_ field: String = "", length: Int) throws -> ByteBuffer {
        guard length >= 0 else { throw error(.invalidLength, "negative length \(length)", field: field) }
        guard length <= remaining else { throw truncated(field, length) }
        return buffer.readSlice(length: length)!
    }

    /// Reads `length` raw bytes into an array.
    public mutating func byteArray(_ field: String = "", length: Int) throws -> [UInt8] {
        let slice = try slice(field, length: length)
        return Array(slice.readableBytesView)
    }

    /// Reads a `UUID`.
    public mutating func uuid(_ field: String = "") throws -> KafkaUUID {
        KafkaUUID(mostSignificantBits: try integer(field), leastSignificantBits: try integer(field))
    }

    /// Reads an array's element count; `nil` for a null array. The count is checked against the bytes
    /// left (every element takes at least one byte), so a hostile count cannot make us allocate.
    public mutating func arrayCount(_ field: String = "", compact: Bool = false) throws -> Int? {
        guard let count = try length(field, compact: compact, wide: true) else { return nil }
        guard count <= remaining else {
            throw error(.invalidLength, "array of \(count) elements but only \(remaining) bytes left", field: field)
        }
        return count
    }

    /// Reads an array; null is an error.
    public mutating func array<Element>(
        _ field: String = "", compact: Bool = false, _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        guard let elements = try nullableArray(field, compact: compact, element) else {
            throw error(.invalidLength, "null where an array is required", field: field)
        }
        return elements
    }

    /// Reads a nullable array.
    public mutating func nullableArray<Element>(
        _ field: String = "", compact: Bool = false, _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element]? {
        guard let count = try arrayCount(field, compact: compact) else { return nil }
        var elements: [Element] = []
        // The count is bounded by the bytes left, but an element may be much larger in memory than its
        // smallest encoding: reserve a little and let the array grow with what actually decodes.
        elements.reserveCapacity(min(count, 64))
        for _ in 0..<count {
            elements.append(try element(&self))
        }
        return elements
    }

    /// Reads a tagged-field section and returns every field, known or not, as raw bytes.
    public mutating func taggedFields(_ field: String = "_tagged_fields") throws -> [KafkaTaggedField] {
        let count = Int(try unsignedVarint(field))
        // Each field takes at least two bytes (its tag and its size).
        guard count <= remaining / 2 else {
            throw error(.invalidLength, "\(count) tagged fields but only \(remaining) bytes left", field: field)
        }
        var fields: [KafkaTaggedField] = []
        // A field is much larger in memory than its two smallest bytes: let the array grow with what decodes.
        fields.reserveCapacity(min(count, 8))
        var previous: UInt32? = nil
        for _ in 0..<count {
            let tag = try unsignedVarint(field)
            if let previous, tag <= previous {
                throw error(.invalidLength, "tagged fields out of order (\(tag) after \(previous))", field: field)
            }
            previous = tag
            let size = Int(try unsignedVarint(field))
            fields.append(KafkaTaggedField(tag: tag, data: try byteArray(field, length: size)))
        }
        return fields
    }

    /// Throws unless every byte was read.
    public func expectEnd(_ field: String = "") throws {
        guard remaining == 0 else {
            throw error(.invalidLength, "\(remaining) unexpected bytes after the end", field: field)
        }
    }
}
