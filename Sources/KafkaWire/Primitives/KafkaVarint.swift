/// Varint arithmetic shared by the `ByteBuffer` extensions, the reader and the record batch encoder:
/// sizes, zig-zag mapping, and raw-pointer encoders for the hot path.
public enum KafkaVarint {
    /// Longest encoding of a 32-bit varint.
    public static let maximumLength32 = 5
    /// Longest encoding of a 64-bit varint.
    public static let maximumLength64 = 10

    /// Zig-zag maps a signed 32-bit value onto an unsigned one (0, -1, 1, -2 ... -> 0, 1, 2, 3 ...).
    @inlinable
    public static func zigZag(_ value: Int32) -> UInt32 {
        UInt32(bitPattern: (value << 1) ^ (value >> 31))
    }

    /// Zig-zag maps a signed 64-bit value onto an unsigned one.
    @inlinable
    public static func zigZag(_ value: Int64) -> UInt64 {
        UInt64(bitPattern: (value << 1) ^ (value >> 63))
    }

    /// The inverse of ``zigZag(_:)-(Int32)``.
    @inlinable
    public static func unZigZag(_ value: UInt32) -> Int32 {
        Int32(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// The inverse of ``zigZag(_:)-(Int64)``.
    @inlinable
    public static func unZigZag(_ value: UInt64) -> Int64 {
        Int64(bitPattern: (value >> 1) ^ (0 &- (value & 1)))
    }

    /// Number of bytes the unsigned varint encoding of `value` takes.
    @inlinable
    public static func size(unsigned value: UInt64) -> Int {
        if value < 0x80 { return 1 }
        if value < 0x4000 { return 2 }
        // 7 payload bits per byte; a value of 0 still takes one byte.
        let bits = 64 - (value | 1).leadingZeroBitCount
        return (bits + 6) / 7
    }

    /// Number of bytes the zig-zag varint encoding of `value` takes.
    @inlinable
    public static func size(signed value: Int64) -> Int {
        size(unsigned: zigZag(value))
    }

    /// Writes the unsigned varint encoding of `value` at `pointer`; returns the number of bytes written
    /// (at most ``maximumLength64``). The caller guarantees the room.
    @inlinable @inline(__always)
    @discardableResult
    public static func encode(unsigned value: UInt64, to pointer: UnsafeMutableRawPointer) -> Int {
        // One and two bytes (lengths up to 8 KiB, deltas, counts: nearly every varint of a log batch) with
        // one store each; longer ones byte by byte.
        if value < 0x80 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
            return 1
        }
        if value < 0x4000 {
            let twoBytes = UInt16(truncatingIfNeeded: (value & 0x7F) | 0x80 | ((value >> 7) << 8))
            pointer.storeBytes(of: twoBytes.littleEndian, as: UInt16.self)
            return 2
        }
        var value = value
        var index = 0
        while value >= 0x80 {
            pointer.storeBytes(of: UInt8(truncatingIfNeeded: value) | 0x80, toByteOffset: index, as: UInt8.self)
            value >>= 7
            index += 1
        }
        pointer.storeBytes(of: UInt8(truncatingIfNeeded: value), toByteOffset: index, as: UInt8.self)
        return index + 1
    }

    /// Writes the zig-zag varint encoding of `value` at `pointer`; returns the number of bytes written.
    @inlinable @inline(__always)
    @discardableResult
    public static func encode(signed value: Int64, to pointer: UnsafeMutableRawPointer) -> Int {
        encode(unsigned: zigZag(value), to: pointer)
    }

    /// Decodes an unsigned varint of at most `maximumLength` bytes from `bytes` starting at `index`.
    /// Returns the value and the number of bytes consumed, `nil` when the input ends first, and throws
    /// ``KafkaWireError/Code-swift.struct/varintOverflow`` when the varint is longer than allowed.
    @inlinable
    public static func decodeUnsigned(
        _ bytes: UnsafeRawBufferPointer, at index: Int, maximumLength: Int
    ) -> (value: UInt64, length: Int, overflow: Bool)? {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        var position = index
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                return (result, position - index, false)
            }
            shift += 7
            if position - index >= maximumLength {
                return (0, position - index, true)
            }
        }
        return nil
    }
}
