/// One line of a file, as offsets: where it starts and ends in the file, and where its bytes are in the
/// chunk that carries it. No copy of the bytes, no `String`.
///
/// The lines of a file tile it: each line's ``offset`` is the previous line's ``endOffset`` (from the start
/// offset of the file, and again from 0 after a truncation), so a checkpoint at any ``endOffset`` resumes
/// exactly after that line.
public struct TailedLine: Hashable, Sendable {
    /// Properties of a line beyond its bytes.
    public struct Flags: OptionSet, Hashable, Sendable {
        /// The bits.
        public let rawValue: UInt8
        /// Makes flags from bits.
        public init(rawValue: UInt8) { self.rawValue = rawValue }

        /// A piece of a line longer than `max_line_bytes` under the `split` policy. Every piece of such a line
        /// carries it; the last piece is the one that ends with the terminator.
        public static let split = Flags(rawValue: 1 << 0)
        /// Only the first `max_line_bytes` of a longer line are in the content (`truncate` policy); the
        /// offsets still cover the whole line.
        public static let truncated = Flags(rawValue: 1 << 1)
        /// No terminator: a partial last line delivered after `partial_line_timeout_ms`, or when its file was
        /// released (deleted or rotated away) with a last line never finished.
        public static let unterminated = Flags(rawValue: 1 << 2)
    }

    /// File offset of the line's first byte.
    public var offset: Int64
    /// File offset just after the line, terminator included: where the next line starts.
    public var endOffset: Int64
    /// Index in the chunk's ``TailChunk/bytes`` of the line's first content byte.
    public var bufferStart: Int32
    /// Content length in bytes: without the `\n`, and without the `\r` of a `\r\n`.
    public var length: Int32
    /// ``Flags``.
    public var flags: Flags

    /// Makes a line record.
    @inlinable
    public init(offset: Int64, endOffset: Int64, bufferStart: Int, length: Int, flags: Flags = []) {
        self.offset = offset
        self.endOffset = endOffset
        self.bufferStart = Int32(truncatingIfNeeded: bufferStart)
        self.length = Int32(truncatingIfNeeded: length)
        self.flags = flags
    }
}

/// A borrowed view of lines read from one file in one go: the bytes read and the line records pointing
/// into them.
///
/// The memory is the tailer's and is reused for the next chunk: the view is valid only during the output
/// callback. Copy what must outlive it (the agent copies line bytes into its record batches anyway).
public struct TailChunk {
    /// The file the lines come from, as it is known at this moment.
    public let file: TailedFile
    /// The bytes the line records point into.
    public let bytes: UnsafeRawBufferPointer
    /// The lines, in file order.
    public let lines: UnsafeBufferPointer<TailedLine>

    /// Makes a view (used by the tailer; tests build their own).
    public init(file: TailedFile, bytes: UnsafeRawBufferPointer, lines: UnsafeBufferPointer<TailedLine>) {
        self.file = file
        self.bytes = bytes
        self.lines = lines
    }

    /// The content bytes of line `index` (no terminator).
    @inlinable
    public func content(of index: Int) -> UnsafeRawBufferPointer {
        let line = lines[index]
        return UnsafeRawBufferPointer(rebasing: bytes[Int(line.bufferStart)..<Int(line.bufferStart + line.length)])
    }

    /// The content of line `index` copied into an array (for tests and slow paths).
    public func contentArray(of index: Int) -> [UInt8] {
        Array(content(of: index))
    }

    /// File offset just after the last line of the chunk.
    public var endOffset: Int64 { lines.last?.endOffset ?? 0 }
}
