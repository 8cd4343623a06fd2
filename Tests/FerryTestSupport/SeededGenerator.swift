/// A small, fast, seedable random generator (SplitMix64) so randomized tests replay from their seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// Makes a generator; the same seed gives the same sequence on every machine.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `count` random bytes.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: count)
        var index = 0
        while index < count {
            var word = next()
            for _ in 0..<8 where index < count {
                result[index] = UInt8(truncatingIfNeeded: word)
                word >>= 8
                index += 1
            }
        }
        return result
    }

    /// A random string of up to `maximumLength` Unicode scalars, mixing ASCII and multi-byte characters.
    public mutating func string(maximumLength: Int) -> String {
        let length = Int.random(in: 0...maximumLength, using: &self)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            switch Int.random(in: 0..<10, using: &self) {
            case 0: scalars.append(Unicode.Scalar(UInt32.random(in: 0xA0...0x7FF, using: &self))!)
            case 1: scalars.append(Unicode.Scalar(UInt32.random(in: 0x1F600...0x1F64F, using: &self))!)
            default: scalars.append(Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &self)))
            }
        }
        return String(scalars)
    }

    /// An integer drawn to hit the edges often: 0, ±1, the extremes, powers of two around varint byte
    /// boundaries, or a uniform value.
    public mutating func edgy<T: FixedWidthInteger>(_ type: T.Type = T.self) -> T {
        switch Int.random(in: 0..<8, using: &self) {
        case 0: return 0
        case 1: return T.max
        case 2: return T.min
        case 3: return T.isSigned ? -1 : 1
        case 4:
            let shift = Int.random(in: 0..<(T.bitWidth - 1), using: &self)
            let power = T(1) << shift
            return Bool.random(using: &self) ? power : power &- 1
        default: return T.random(in: T.min...T.max, using: &self)
        }
    }
}
