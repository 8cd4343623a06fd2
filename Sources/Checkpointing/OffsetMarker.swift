import FileTailing

/// A fingerprint of a position in a file: the ``ContentHash`` of the `length` bytes just before it,
/// `[offset - length, offset)`.
///
/// Stored with every committed offset. On resume the same bytes are read back and hashed: a mismatch
/// means the file was rewritten since (copytruncate and refill, inode reuse), and reading resumes at 0.
/// The agent computes a marker from the line bytes it already holds (``init(suffixOf:)-5d9c4``), so a
/// marker covers at most ``maximumLength`` bytes and, by convention, at most the last line. A marker of
/// length 0 verifies nothing; it is the only marker valid at offset 0.
public struct OffsetMarker: Hashable, Sendable, CustomStringConvertible {
    /// The number of bytes a marker covers at most.
    public static let maximumLength = 64

    /// The marker of length 0 (offset 0, or a position whose bytes were not at hand).
    public static let none = OffsetMarker(length: 0, hash: ContentHash.empty)

    /// Bytes covered, `0...maximumLength`.
    public var length: Int
    /// ``ContentHash`` of those bytes.
    public var hash: UInt64

    /// Makes a marker from its parts (no check: see ``isValid(at:)``).
    public init(length: Int, hash: UInt64) {
        self.length = length
        self.hash = hash
    }

    /// The marker of the last `min(bytes.count, maximumLength)` bytes of `bytes`, which must be the bytes
    /// that end exactly at the marked offset (typically the last line of a segment, newline included).
    public init(suffixOf bytes: UnsafeRawBufferPointer) {
        let count = Swift.min(bytes.count, Self.maximumLength)
        let suffix = UnsafeRawBufferPointer(rebasing: bytes[(bytes.count - count)...])
        self.init(length: count, hash: ContentHash.of(suffix))
    }

    /// The marker of the last `min(bytes.count, maximumLength)` bytes of `bytes`.
    public init(suffixOf bytes: some Collection<UInt8>) {
        let count = Swift.min(bytes.count, Self.maximumLength)
        self.init(length: count, hash: ContentHash.of(bytes.suffix(count)))
    }

    /// Whether this marker can describe offset `offset`: `0...maximumLength` bytes, none before 0.
    public func isValid(at offset: Int64) -> Bool {
        length >= 0 && length <= Self.maximumLength && Int64(length) <= offset
    }

    /// "length B:hash" in hexadecimal.
    public var description: String {
        let hex = String(hash, radix: 16)
        return "\(length)B:\(String(repeating: "0", count: 16 - hex.count))\(hex)"
    }
}
