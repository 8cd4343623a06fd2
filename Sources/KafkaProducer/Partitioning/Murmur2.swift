/// MurmurHash2 exactly as the Java client computes it for keyed records (`Utils.murmur2`, seed 0x9747b28c),
/// so that a key lands on the same partition whichever client produced it.
public enum Murmur2 {
    /// The 32-bit hash of `bytes`, as Java's signed int.
    public static func hash(_ bytes: UnsafeRawBufferPointer) -> Int32 {
        let m: UInt32 = 0x5BD1_E995
        let length = bytes.count
        var h: UInt32 = 0x9747_B28C ^ UInt32(truncatingIfNeeded: length)
        var index = 0
        while index + 4 <= length {
            var k = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16
                | UInt32(bytes[index + 3]) << 24
            k = k &* m
            k ^= k >> 24
            k = k &* m
            h = h &* m
            h ^= k
            index += 4
        }
        let tail = length & ~3
        switch length % 4 {
        case 3:
            h ^= UInt32(bytes[tail + 2]) << 16
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[tail + 1]) << 8
            h ^= UInt32(bytes[tail])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[tail])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    /// The hash of a byte array.
    public static func hash(_ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { hash($0) }
    }

    /// The partition the Java client picks for a key: `toPositive(murmur2(key)) % partitions`.
    public static func partition(forKey key: UnsafeRawBufferPointer, partitionCount: Int32) -> Int32 {
        precondition(partitionCount > 0, "partition count must be positive")
        return (hash(key) & 0x7FFF_FFFF) % partitionCount
    }

    /// The partition the Java client picks for a key.
    public static func partition(forKey key: [UInt8], partitionCount: Int32) -> Int32 {
        key.withUnsafeBytes { partition(forKey: $0, partitionCount: partitionCount) }
    }
}
