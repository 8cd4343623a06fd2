/// The 64-bit hash Ferry uses for file fingerprints and offset markers: FNV-1a over the bytes.
///
/// It only has to tell files and positions apart, never to resist an attacker, and it runs over at most a
/// few KiB at a time, so a simple, well-known function whose values anyone can recompute is the right choice.
/// Values are part of the checkpoint format: changing the function is a format change.
public enum ContentHash {
    /// FNV-1a 64 offset basis: the hash of no bytes.
    public static let empty: UInt64 = 0xCBF2_9CE4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01B3

    /// Extends `hash` over `bytes`.
    @inlinable
    public static func extend(_ hash: UInt64, _ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var value = hash
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        return value
    }

    /// The hash of `bytes`.
    @inlinable
    public static func of(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        extend(empty, bytes)
    }

    /// The hash of `bytes`.
    public static func of(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var value = empty
        for byte in bytes {
            value = (value ^ UInt64(byte)) &* prime
        }
        return value
    }
}
