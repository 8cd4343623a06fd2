/// Exponential backoff with jitter, as the Java client computes it: `retry.backoff.ms * 2^(attempt-1)`,
/// capped at `retry.backoff.max.ms`, then spread by ±20% so that many clients do not retry in lockstep.
struct RetryBackoff: Sendable, Equatable {
    /// First delay, in nanoseconds.
    var initialNs: UInt64
    /// Largest delay, in nanoseconds.
    var maximumNs: UInt64
    /// The spread, as a fraction of the delay.
    var jitter: Double = 0.2
    /// A tiny SplitMix64 state, so that the jitter is reproducible in tests.
    private var state: UInt64

    init(initialMs: Int, maximumMs: Int, seed: UInt64) {
        initialNs = ProducerConfiguration.nanoseconds(milliseconds: initialMs)
        maximumNs = max(ProducerConfiguration.nanoseconds(milliseconds: maximumMs), initialNs)
        state = seed
    }

    /// The delay before attempt number `attempt` (1 = the first retry).
    mutating func delay(attempt: Int) -> UInt64 {
        guard initialNs > 0 else { return 0 }
        let exponent = min(max(attempt - 1, 0), 32)
        let raw = initialNs.multipliedReportingOverflow(by: UInt64(1) << UInt64(exponent))
        let base = raw.overflow ? maximumNs : min(raw.partialValue, maximumNs)
        let unit = Double(nextRandom() >> 11) / Double(1 << 53)  // [0, 1)
        let factor = 1 - jitter + 2 * jitter * unit
        return UInt64(Double(base) * factor)
    }

    private mutating func nextRandom() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
