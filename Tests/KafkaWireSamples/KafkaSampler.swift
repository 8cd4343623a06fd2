import KafkaWire
import NIOCore

/// A seeded source of random message field values, for property tests, fuzzing and fault injection:
/// ``KafkaSampleable/sample(version:using:)`` builds a random message valid in a given version from it.
///
/// It is test support that lives in `KafkaWire` because both the test bundle and the `ferry-testkit` fuzz
/// child need it; nothing on the data path uses it. The sequence is SplitMix64, so a seed replays the same
/// messages on every machine.
public struct KafkaSampler: RandomNumberGenerator, Sendable {
    private var state: UInt64
    /// The largest number of elements of a generated array (arrays hold 0 to this many).
    public var maximumArrayCount: Int
    /// The largest number of Unicode scalars in a generated string.
    public var maximumStringLength: Int
    /// The largest number of bytes in generated `bytes` and `records` fields.
    public var maximumBytesLength: Int

    /// Makes a sampler; the same seed and limits give the same values.
    public init(seed: UInt64, maximumArrayCount: Int = 5, maximumStringLength: Int = 12, maximumBytesLength: Int = 48) {
        self.state = seed
        self.maximumArrayCount = maximumArrayCount
        self.maximumStringLength = maximumStringLength
        self.maximumBytesLength = maximumBytesLength
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `true` once in `count` draws on average.
    public mutating func oneIn(_ count: Int) -> Bool {
        Int.random(in: 0..<max(1, count), using: &self) == 0
    }

    /// An integer that is often an edge value (0, ±1, the extremes, a power of two or one less).
    public mutating func integer<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T {
        switch Int.random(in: 0..<8, using: &self) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return T.isSigned ? -1 : 1
        case 4:
            let power = T(1) << Int.random(in: 0..<(T.bitWidth - 1), using: &self)
            return Bool.random(using: &self) ? power : power &- 1
        default: return T.random(in: T.min...T.max, using: &self)
        }
    }

    /// An `int8`.
    public mutating func int8() -> Int8 { integer() }
    /// An `int16`.
    public mutating func int16() -> Int16 { integer() }
    /// An `int32`.
    public mutating func int32() -> Int32 { integer() }
    /// An `int64`.
    public mutating func int64() -> Int64 { integer() }
    /// A `bool`.
    public mutating func bool() -> Bool { Bool.random(using: &self) }

    /// A `uuid` (sometimes zero).
    public mutating func uuid() -> KafkaUUID {
        oneIn(4) ? .zero : KafkaUUID(mostSignificantBits: next(), leastSignificantBits: next())
    }

    /// A string of up to ``maximumStringLength`` scalars mixing ASCII, two-, three- and four-byte UTF-8
    /// (empty one time in six or so).
    public mutating func string() -> String {
        let length = oneIn(6) ? 0 : Int.random(in: 0...maximumStringLength, using: &self)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let value: UInt32
            switch Int.random(in: 0..<10, using: &self) {
            case 0: value = UInt32.random(in: 0x80...0x7FF, using: &self)
            case 1: value = UInt32.random(in: 0x800...0xD7FF, using: &self)
            case 2: value = UInt32.random(in: 0x1_0000...0x10_FFFF, using: &self)
            default: value = UInt32.random(in: 0x20...0x7E, using: &self)
            }
            if let scalar = Unicode.Scalar(value) { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// A string, or `nil` one time in four.
    public mutating func nullableString() -> String? {
        oneIn(4) ? nil : string()
    }

    /// Up to ``maximumBytesLength`` random bytes.
    public mutating func bytes() -> [UInt8] {
        let count = Int.random(in: 0...maximumBytesLength, using: &self)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }

    /// Opaque record bytes in a buffer, or `nil` one time in five.
    public mutating func records() -> ByteBuffer? {
        oneIn(5) ? nil : ByteBuffer(bytes: bytes())
    }

    /// An array of 0 to ``maximumArrayCount`` elements made by `element`.
    public mutating func array<Element>(_ element: (inout KafkaSampler) -> Element) -> [Element] {
        let count = Int.random(in: 0...maximumArrayCount, using: &self)
        var result: [Element] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(element(&self)) }
        return result
    }

    /// An array made by `element`, or `nil` one time in four.
    public mutating func nullableArray<Element>(_ element: (inout KafkaSampler) -> Element) -> [Element]? {
        oneIn(4) ? nil : array(element)
    }

    /// Unknown tagged fields for a struct: none when the version is not flexible, else up to three, with
    /// distinct tags from 100 up (above every tag the schemas define) and random bytes.
    public mutating func unknownTaggedFields(flexible: Bool) -> [KafkaTaggedField] {
        guard flexible, oneIn(3) else { return [] }
        var tags = Set<UInt32>()
        for _ in 0..<Int.random(in: 1...3, using: &self) {
            tags.insert(oneIn(2) ? UInt32.random(in: 100...127, using: &self) : UInt32.random(in: 128...100_000, using: &self))
        }
        return tags.sorted().map { tag in
            let count = Int.random(in: 0...8, using: &self)
            return KafkaTaggedField(tag: tag, data: (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) })
        }
    }
}

/// A message that can make random instances of itself, valid in a given version: fields absent from
/// the version keep their defaults, fields not nullable in it are never `nil`, unknown tagged fields
/// appear only in flexible versions. Used by the round-trip tests and the response fuzzer.
public protocol KafkaSampleable: KafkaMessage {
    /// A random instance valid in `version`.
    static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self
}
