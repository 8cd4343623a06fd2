/// Kafka's `UUID` type: 16 bytes, used for topic ids.
public struct KafkaUUID: Hashable, Sendable, CustomStringConvertible {
    /// The first 8 bytes, big-endian.
    public var mostSignificantBits: UInt64
    /// The last 8 bytes, big-endian.
    public var leastSignificantBits: UInt64

    /// The all-zero UUID, Kafka's "no topic id".
    public static let zero = KafkaUUID(mostSignificantBits: 0, leastSignificantBits: 0)

    /// Makes a UUID from its two halves.
    public init(mostSignificantBits: UInt64, leastSignificantBits: UInt64) {
        self.mostSignificantBits = mostSignificantBits
        self.leastSignificantBits = leastSignificantBits
    }

    /// The canonical 8-4-4-4-12 hexadecimal form.
    public var description: String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        let high = mostSignificantBits
        let low = leastSignificantBits
        return "\(hex(high >> 32, 8))-\(hex((high >> 16) & 0xFFFF, 4))-\(hex(high & 0xFFFF, 4))-"
            + "\(hex(low >> 48, 4))-\(hex(low & 0xFFFF_FFFF_FFFF, 12))"
    }
}
