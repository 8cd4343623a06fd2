/// The 16-bit attributes of a record batch: compression (bits 0-2), timestamp type (bit 3),
/// transactional (bit 4), control (bit 5), delete horizon present (bit 6).
public struct RecordBatchAttributes: Hashable, Sendable {
    /// The raw bits.
    public var rawValue: Int16

    /// Makes attributes from raw bits.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// Makes attributes from their parts.
    public init(
        compression: RecordBatchCompression, logAppendTime: Bool = false, isTransactional: Bool = false,
        isControl: Bool = false, hasDeleteHorizon: Bool = false
    ) {
        var bits = compression.rawValue
        if logAppendTime { bits |= 1 << 3 }
        if isTransactional { bits |= 1 << 4 }
        if isControl { bits |= 1 << 5 }
        if hasDeleteHorizon { bits |= 1 << 6 }
        rawValue = bits
    }

    /// The codec number (bits 0-2); see ``compression`` for the known ones.
    public var compressionCode: Int16 { rawValue & 0x07 }
    /// The codec, or `nil` for a number Kafka does not define.
    public var compression: RecordBatchCompression? { RecordBatchCompression(rawValue: compressionCode) }
    /// Whether timestamps are the broker's append time (else the producer's create time).
    public var logAppendTime: Bool { rawValue & (1 << 3) != 0 }
    /// Whether the batch is part of a transaction.
    public var isTransactional: Bool { rawValue & (1 << 4) != 0 }
    /// Whether the batch holds control records (transaction markers).
    public var isControl: Bool { rawValue & (1 << 5) != 0 }
    /// Whether the base timestamp is a delete horizon (compacted topics).
    public var hasDeleteHorizon: Bool { rawValue & (1 << 6) != 0 }
}
