/// Appends the checkpoint format's primitives to a byte array: LEB128 varints, zigzag varints and
/// fixed little-endian integers.
struct CheckpointByteWriter {
    /// The bytes written so far.
    var bytes: [UInt8]

    /// An empty writer with room for `capacity` bytes.
    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Appends one byte.
    @inline(__always)
    mutating func writeByte(_ value: UInt8) {
        bytes.append(value)
    }

    /// Appends an unsigned LEB128 varint (1 to 10 bytes).
    @inline(__always)
    mutating func writeVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(truncatingIfNeeded: rest))
    }

    /// Appends a signed value as a zigzag varint (small magnitudes take few bytes).
    @inline(__always)
    mutating func writeZigzag(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    /// Appends 8 bytes, little-endian.
    @inline(__always)
    mutating func writeUInt64(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends 4 bytes, little-endian.
    @inline(__always)
    mutating func writeUInt32(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends 2 bytes, little-endian.
    @inline(__always)
    mutating func writeUInt16(_ value: UInt16) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// Appends raw bytes.
    mutating func writeBytes(_ raw: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: raw)
    }
}

/// Reads the checkpoint format's primitives from raw bytes. Every `read` moves the reader and returns
/// nil when the bytes run out or a varint is malformed; nothing traps on any input.
struct CheckpointByteReader {
    /// The bytes being read.
    let buffer: UnsafeRawBufferPointer
    /// The position of the next read.
    var index: Int

    /// A reader of `buffer` starting at `index`.
    init(_ buffer: UnsafeRawBufferPointer, index: Int = 0) {
        self.buffer = buffer
        self.index = index
    }

    /// Bytes left to read.
    var remaining: Int { buffer.count - index }

    /// One byte, or nil at the end.
    @inline(__always)
    mutating func readByte() -> UInt8? {
        guard index < buffer.count else { return nil }
        defer { index += 1 }
        return buffer[index]
    }

    /// An unsigned LEB128 varint, or nil when short or longer than 64 bits.
    @inline(__always)
    mutating func readVarint() -> UInt64? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while index < buffer.count {
            let byte = buffer[index]
            index += 1
            if shift == 63, byte > 1 { return nil }
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { return nil }
        }
        return nil
    }

    /// A zigzag varint, or nil when short or malformed.
    @inline(__always)
    mutating func readZigzag() -> Int64? {
        guard let raw = readVarint() else { return nil }
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    /// A varint that must fit in a non-negative `Int64`.
    @inline(__always)
    mutating func readOffset() -> Int64? {
        guard let raw = readVarint(), raw <= UInt64(Int64.max) else { return nil }
        return Int64(raw)
    }

    /// 8 little-endian bytes, or nil when short.
    @inline(__always)
    mutating func readUInt64() -> UInt64? {
        guard remaining >= 8 else { return nil }
        defer { index += 8 }
        return UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt64.self))
    }

    /// 4 little-endian bytes, or nil when short.
    @inline(__always)
    mutating func readUInt32() -> UInt32? {
        guard remaining >= 4 else { return nil }
        defer { index += 4 }
        return UInt32(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt32.self))
    }

    /// 2 little-endian bytes, or nil when short.
    @inline(__always)
    mutating func readUInt16() -> UInt16? {
        guard remaining >= 2 else { return nil }
        defer { index += 2 }
        return UInt16(littleEndian: buffer.loadUnaligned(fromByteOffset: index, as: UInt16.self))
    }

    /// `count` bytes (a view into the buffer), or nil when short.
    mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, remaining >= count else { return nil }
        defer { index += count }
        return UnsafeRawBufferPointer(rebasing: buffer[index..<(index + count)])
    }
}
