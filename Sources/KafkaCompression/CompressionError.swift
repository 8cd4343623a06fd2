/// A failure to compress or decompress.
public struct CompressionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, as a stable value.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The short, stable name of the code.
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The C library could not set up a context (out of memory, bad parameter).
        public static let initialization = Code("initialization")
        /// The codec reported an error while compressing.
        public static let compressFailed = Code("compress_failed")
        /// The input is not valid data for the codec (bad magic, corrupt stream).
        public static let corruptInput = Code("corrupt_input")
        /// The input ended before the stream did.
        public static let truncatedInput = Code("truncated_input")
        /// Decompressing would produce more than the allowed size: a zip bomb, or a cap set too low.
        public static let outputTooLarge = Code("output_too_large")
        /// A parameter is out of range (a compression level, say).
        public static let invalidParameter = Code("invalid_parameter")

        public var description: String { name }
    }

    /// The kind of failure.
    public var code: Code
    /// The codec (`gzip`, `lz4`, `zstd`, `snappy`).
    public var codec: String
    /// A human sentence saying what failed, with the C library's own message when it gave one.
    public var message: String

    /// Makes an error.
    public init(_ code: Code, codec: String, _ message: String) {
        self.code = code
        self.codec = codec
        self.message = message
    }

    public var description: String { "\(codec) \(code): \(message)" }
}
