import NIOCore

/// Writers for Kafka's primitive types. Each `writeKafkaX` appends and returns the number of bytes written.
/// Fixed-width integers are big-endian, as `ByteBuffer.writeInteger` already writes them.
extension ByteBuffer {
    /// Writes an unsigned varint (Kafka `UNSIGNED_VARINT`).
    @inlinable
    @discardableResult
    public mutating func writeKafkaUnsignedVarint(_ value: UInt32) -> Int {
        writeKafkaUnsignedVarlong(UInt64(value))
    }

    /// Writes a 64-bit unsigned varint.
    @inlinable
    @discardableResult
    public mutating func writeKafkaUnsignedVarlong(_ value: UInt64) -> Int {
        writeWithUnsafeMutableBytes(minimumWritableBytes: KafkaVarint.maximumLength64) { pointer in
            KafkaVarint.encode(unsigned: value, to: pointer.baseAddress!)
        }
    }

    /// Writes a zig-zag varint (Kafka `VARINT`).
    @inlinable
    @discardableResult
    public mutating func writeKafkaVarint(_ value: Int32) -> Int {
        writeKafkaUnsignedVarlong(UInt64(KafkaVarint.zigZag(value)))
    }

    /// Writes a zig-zag varlong (Kafka `VARLONG`).
    @inlinable
    @discardableResult
    public mutating func writeKafkaVarlong(_ value: Int64) -> Int {
        writeKafkaUnsignedVarlong(KafkaVarint.zigZag(value))
    }

    /// Writes a boolean as one byte.
    @inlinable
    @discardableResult
    public mutating func writeKafkaBool(_ value: Bool) -> Int {
        writeInteger(value ? 1 as UInt8 : 0)
    }

    /// Writes a `STRING` (int16 length) or, when `compact`, a `COMPACT_STRING` (unsigned varint length+1).
    @inlinable
    @discardableResult
    public mutating func writeKafkaString(_ value: String, compact: Bool = false) -> Int {
        let length = value.utf8.count
        var written = compact
            ? writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: length + 1))
            : writeInteger(Int16(truncatingIfNeeded: length))
        written += writeString(value)
        return written
    }

    /// Writes a `NULLABLE_STRING` or `COMPACT_NULLABLE_STRING`; `nil` is length -1 (or 0 when compact).
    @inlinable
    @discardableResult
    public mutating func writeKafkaNullableString(_ value: String?, compact: Bool = false) -> Int {
        guard let value else {
            return compact ? writeKafkaUnsignedVarint(0) : writeInteger(Int16(-1))
        }
        return writeKafkaString(value, compact: compact)
    }

    /// Writes `BYTES` (int32 length) or `COMPACT_BYTES` (unsigned varint length+1).
    @inlinable
    @discardableResult
    public mutating func writeKafkaBytes(_ value: some Collection<UInt8>, compact: Bool = false) -> Int {
        let length = value.count
        var written = compact
            ? writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: length + 1))
            : writeInteger(Int32(truncatingIfNeeded: length))
        written += writeBytes(value)
        return written
    }

    /// Writes `BYTES` from another buffer's readable bytes.
    @inlinable
    @discardableResult
    public mutating func writeKafkaBytes(_ value: ByteBuffer, compact: Bool = false) -> Int {
        let length = value.readableBytes
        var written = compact
            ? writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: length + 1))
            : writeInteger(Int32(truncatingIfNeeded: length))
        written += writeImmutableBuffer(value)
        return written
    }

    /// Writes `NULLABLE_BYTES` / `COMPACT_NULLABLE_BYTES` (also the type of `RECORDS` fields).
    @inlinable
    @discardableResult
    public mutating func writeKafkaNullableBytes(_ value: ByteBuffer?, compact: Bool = false) -> Int {
        guard let value else {
            return compact ? writeKafkaUnsignedVarint(0) : writeInteger(Int32(-1))
        }
        return writeKafkaBytes(value, compact: compact)
    }

    /// Writes `NULLABLE_BYTES` from a byte array.
    @inlinable
    @discardableResult
    public mutating func writeKafkaNullableBytes(_ value: [UInt8]?, compact: Bool = false) -> Int {
        guard let value else {
            return compact ? writeKafkaUnsignedVarint(0) : writeInteger(Int32(-1))
        }
        return writeKafkaBytes(value, compact: compact)
    }

    /// Writes an array length: int32, or unsigned varint count+1 when `compact`; `nil` writes a null array.
    @inlinable
    @discardableResult
    public mutating func writeKafkaArrayLength(_ count: Int?, compact: Bool = false) -> Int {
        guard let count else {
            return compact ? writeKafkaUnsignedVarint(0) : writeInteger(Int32(-1))
        }
        return compact
            ? writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: count + 1))
            : writeInteger(Int32(truncatingIfNeeded: count))
    }

    /// Writes an array: its length, then each element through `element`.
    @inlinable
    @discardableResult
    public mutating func writeKafkaArray<Element>(
        _ elements: [Element], compact: Bool = false, _ element: (inout ByteBuffer, Element) throws -> Void
    ) rethrows -> Int {
        let start = writerIndex
        writeKafkaArrayLength(elements.count, compact: compact)
        for item in elements {
            try element(&self, item)
        }
        return writerIndex - start
    }

    /// Writes a nullable array (`nil` is a null array).
    @inlinable
    @discardableResult
    public mutating func writeKafkaNullableArray<Element>(
        _ elements: [Element]?, compact: Bool = false, _ element: (inout ByteBuffer, Element) throws -> Void
    ) rethrows -> Int {
        guard let elements else { return writeKafkaArrayLength(nil, compact: compact) }
        return try writeKafkaArray(elements, compact: compact, element)
    }

    /// Writes a tagged-field section: the count, then each field's tag, size and bytes, in tag order.
    @inlinable
    @discardableResult
    public mutating func writeKafkaTaggedFields(_ fields: [KafkaTaggedField]) -> Int {
        let start = writerIndex
        writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: fields.count))
        for field in fields.sorted(by: { $0.tag < $1.tag }) {
            writeKafkaUnsignedVarint(field.tag)
            writeKafkaUnsignedVarint(UInt32(truncatingIfNeeded: field.data.count))
            writeBytes(field.data)
        }
        return writerIndex - start
    }

    /// Writes a `UUID` as 16 bytes.
    @inlinable
    @discardableResult
    public mutating func writeKafkaUUID(_ value: KafkaUUID) -> Int {
        writeInteger(value.mostSignificantBits) + writeInteger(value.leastSignificantBits)
    }
}
