/// Byte offsets of the fields of a v2 record batch header (61 bytes before the first record).
public enum RecordBatchLayout {
    public static let baseOffset = 0
    public static let batchLength = 8
    public static let partitionLeaderEpoch = 12
    public static let magic = 16
    public static let crc = 17
    public static let attributes = 21
    public static let lastOffsetDelta = 23
    public static let baseTimestamp = 27
    public static let maxTimestamp = 35
    public static let producerId = 43
    public static let producerEpoch = 51
    public static let baseSequence = 53
    public static let recordCount = 57
    /// Size of the header; the records start here.
    public static let headerSize = 61
    /// Bytes counted by `batchLength` start after base offset and the length itself.
    public static let logOverhead = 12
    /// The only magic value this code reads and writes.
    public static let currentMagic: Int8 = 2
}
