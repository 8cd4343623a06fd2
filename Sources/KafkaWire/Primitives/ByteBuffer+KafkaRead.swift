import NIOCore

/// Non-throwing readers for Kafka varints, in NIO's convention: `readX` moves the reader index and returns
/// `nil` when the bytes are short or malformed (the index is then left where it was).
extension ByteBuffer {
    /// Reads an unsigned varint of at most 5 bytes that fits in 32 bits.
    @inlinable
    public mutating func readKafkaUnsignedVarint() -> UInt32? {
        guard let (value, length) = getKafkaUnsignedVarlong(at: readerIndex, maximumLength: KafkaVarint.maximumLength32),
            value <= UInt64(UInt32.max)
        else { return nil }
        moveReaderIndex(forwardBy: length)
        return UInt32(value)
    }

    /// Reads a 64-bit unsigned varint of at most 10 bytes.
    @inlinable
    public mutating func readKafkaUnsignedVarlong() -> UInt64? {
        guard let (value, length) = getKafkaUnsignedVarlong(at: readerIndex, maximumLength: KafkaVarint.maximumLength64)
        else { return nil }
        moveReaderIndex(forwardBy: length)
        return value
    }

    /// Reads a zig-zag varint (Kafka `VARINT`).
    @inlinable
    public mutating func readKafkaVarint() -> Int32? {
        readKafkaUnsignedVarint().map(KafkaVarint.unZigZag)
    }

    /// Reads a zig-zag varlong (Kafka `VARLONG`).
    @inlinable
    public mutating func readKafkaVarlong() -> Int64? {
        readKafkaUnsignedVarlong().map(KafkaVarint.unZigZag)
    }

    /// Gets an unsigned varint at `index` without moving; returns the value and its length, or `nil` when
    /// the bytes end first or the varint is longer than `maximumLength`.
    @inlinable
    public func getKafkaUnsignedVarlong(at index: Int, maximumLength: Int) -> (UInt64, Int)? {
        guard index >= readerIndex, index <= writerIndex else { return nil }
        return withUnsafeReadableBytes { bytes in
            guard let decoded = KafkaVarint.decodeUnsigned(bytes, at: index - readerIndex, maximumLength: maximumLength),
                !decoded.overflow
            else { return nil }
            return (decoded.value, decoded.length)
        }
    }
}
