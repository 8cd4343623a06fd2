import NIOCore

/// An error raised by the wire layer: decoding a frame, a message or a record batch, or encoding a value
/// that the chosen protocol version cannot carry.
///
/// A decode error carries the bytes that failed (``bytes``) and the position inside them, so that a bug
/// report can be replayed: `KafkaReader(ByteBuffer(bytes: error.bytes))` reproduces the failure.
public struct KafkaWireError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable value that callers can switch on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The short, stable name of the code (`truncated`, `bad_crc` ...).
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The input ended before the value was complete.
        public static let truncated = Code("truncated")
        /// A length or count is negative (where not allowed) or larger than the bytes that follow.
        public static let invalidLength = Code("invalid_length")
        /// A varint ran past its maximum length.
        public static let varintOverflow = Code("varint_overflow")
        /// A string is not valid UTF-8.
        public static let invalidString = Code("invalid_string")
        /// A frame declares a size above the configured maximum.
        public static let frameTooLarge = Code("frame_too_large")
        /// A message was asked for in a version this code does not implement.
        public static let unsupportedVersion = Code("unsupported_version")
        /// A value cannot be represented in the chosen version (a tagged field in a non-flexible version,
        /// a null where the version has no nullable type...).
        public static let notRepresentable = Code("not_representable")
        /// A record batch has a magic byte other than 2.
        public static let unsupportedMagic = Code("unsupported_magic")
        /// A record batch's CRC-32C does not match its contents.
        public static let badCRC = Code("bad_crc")
        /// A record batch or record is internally inconsistent (counts, sizes, trailing bytes).
        public static let corruptBatch = Code("corrupt_batch")
        /// Compressing or decompressing a record batch failed.
        public static let compression = Code("compression")
        /// A response's correlation id matches no request in flight.
        public static let unexpectedCorrelationId = Code("unexpected_correlation_id")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// A human sentence saying what failed.
    public var message: String
    /// Where it happened: the message and field being decoded (`ProduceResponse.responses[0].name`).
    public var context: String
    /// The bytes being decoded when the error happened (capped at ``maximumCapturedBytes``), or empty.
    public var bytes: [UInt8]
    /// The reader offset inside ``bytes`` at which decoding failed.
    public var offset: Int
    /// A lower-level error, rendered as text (keeps the type `Hashable` and `Sendable`).
    public var underlying: String?

    /// The largest number of bytes kept in ``bytes``.
    public static let maximumCapturedBytes = 64 * 1024

    /// Makes an error; `bytes` is truncated to ``maximumCapturedBytes``.
    public init(
        _ code: Code, _ message: String, context: String = "", bytes: [UInt8] = [], offset: Int = 0,
        underlying: String? = nil
    ) {
        self.code = code
        self.message = message
        self.context = context
        self.bytes = bytes.count > Self.maximumCapturedBytes ? Array(bytes.prefix(Self.maximumCapturedBytes)) : bytes
        self.offset = offset
        self.underlying = underlying
    }

    public var description: String {
        var text = "kafka wire error [\(code)]"
        if !context.isEmpty { text += " in \(context)" }
        text += ": \(message)"
        if !bytes.isEmpty {
            let shown = bytes.prefix(64).map { byte in
                let hex = String(byte, radix: 16)
                return hex.count == 1 ? "0" + hex : hex
            }.joined()
            text += " (at byte \(offset) of \(bytes.count); bytes: \(shown)\(bytes.count > 64 ? "..." : ""))"
        }
        if let underlying { text += " (underlying: \(underlying))" }
        return text
    }
}
