#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where one file's framing stands between reads.
///
/// Everything before ``lineStart`` has been delivered as lines; the bytes in `lineStart..<scannedTo` have
/// been seen and hold no `\n` (a partial line). The partial line is not kept in memory: a short one is read
/// again with the next bytes, a long one is found again with `pread` when its end (or a piece) is due.
public struct FramerState: Hashable, Sendable {
    /// File offset of the first byte not yet delivered (the start of the current line).
    public var lineStart: Int64
    /// File offset up to which bytes were seen; no `\n` in `lineStart..<scannedTo`.
    public var scannedTo: Int64
    /// Whether the bytes at ``lineStart`` continue a line already partly delivered as `split` pieces.
    public var continuesSplitLine: Bool
    /// Whether the byte at `scannedTo - 1` is a `\r` (so that a `\n` read next ends a `\r\n`).
    public var scannedEndsWithCR: Bool

    /// The state of a file read from `offset`, which must be a line boundary.
    public init(offset: Int64) {
        lineStart = offset
        scannedTo = offset
        continuesSplitLine = false
        scannedEndsWithCR = false
    }

    /// Bytes seen but not yet delivered.
    public var pendingBytes: Int64 { scannedTo - lineStart }
}

/// A line (or line piece) whose content is not in the read buffer and must be read with `pread` before it
/// is delivered: the head of a long line, or a partial line flushed by timeout or release.
public struct HeadRequest: Hashable, Sendable {
    /// The line record to deliver (its `bufferStart` is 0: the content is the bytes read at `offset`).
    public var line: TailedLine
    /// The framing state once the line is delivered.
    public var nextState: FramerState

    /// File offset of the content.
    public var offset: Int64 { line.offset }
    /// Content bytes to read.
    public var length: Int { Int(line.length) }
}

/// Splits bytes into lines with `memchr`: `\n` ends a line, the `\r` of `\r\n` is left out of the content,
/// lines longer than ``maxLineBytes`` are split or truncated, every other byte (NUL, invalid UTF-8) passes
/// through. Pure: the caller reads, the framer decides.
///
/// Reading protocol: read at ``readOffset(_:)`` into a buffer, call ``frame(_:bufferOffset:from:state:into:)``
/// from index 0. When it returns a ``HeadRequest``, deliver the lines appended so far, read and deliver
/// the head, set the state to the request's `nextState`, and call again from the returned index.
public struct LineFramer: Hashable, Sendable {
    /// The longest content delivered as one line.
    public let maxLineBytes: Int
    /// What happens to longer lines.
    public let policy: LongLinePolicy
    /// A partial line at least this long is not read again with each read: only new bytes are scanned.
    public let rereadLimit: Int

    /// Partial lines up to this size are read again with the next bytes (cheaper than keeping them).
    public static let defaultRereadLimit = 64 << 10

    /// Makes a framer.
    public init(maxLineBytes: Int, policy: LongLinePolicy, rereadLimit: Int = LineFramer.defaultRereadLimit) {
        self.maxLineBytes = max(1, maxLineBytes)
        self.policy = policy
        self.rereadLimit = max(1, min(rereadLimit, maxLineBytes))
    }

    /// Where the next read of the file starts: at the partial line (read again with the new bytes) when it
    /// is short, after it when it is long.
    @inlinable
    public func readOffset(_ state: FramerState) -> Int64 {
        state.pendingBytes >= Int64(rereadLimit) ? state.scannedTo : state.lineStart
    }

    /// What a call to ``frame(_:bufferOffset:from:state:into:)`` stopped on.
    public enum Stop: Hashable, Sendable {
        /// The buffer is consumed up to its end.
        case end
        /// This line must be read and delivered before framing resumes at `resumeAt`.
        case head(HeadRequest, resumeAt: Int)
    }

    /// Frames `buffer[from...]`. `buffer` holds file bytes from `bufferOffset`; `bufferOffset + from` must be
    /// ``FramerState/lineStart`` (normal) or, for a long partial line, ``FramerState/scannedTo``. Lines whose
    /// content is in the buffer are appended to `sink` with `bufferStart` indexing `buffer`.
    public func frame(
        _ buffer: UnsafeRawBufferPointer, bufferOffset: Int64, from: Int, state: inout FramerState,
        into sink: LineSink
    ) -> Stop {
        guard let base = buffer.baseAddress, from < buffer.count || state.pendingBytes > 0 else { return .end }
        let position = bufferOffset + Int64(from)
        if position != state.lineStart {
            return scanLongPartial(buffer, base: base, bufferOffset: bufferOffset, from: from, state: &state)
        }
        let count = buffer.count
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let maximum = maxLineBytes
        var lineBegin = from
        var searchFrom = min(count, from + Int(min(state.pendingBytes, Int64(count))))
        var continuesSplit = state.continuesSplitLine
        while searchFrom < count, let found = memchr(base + searchFrom, 0x0A, count - searchFrom) {
            let newline = base.distance(to: UnsafeRawPointer(found))
            var contentEnd = newline
            if newline > lineBegin, bytes[newline - 1] == 0x0D { contentEnd -= 1 }
            var length = contentEnd - lineBegin
            let end = bufferOffset + Int64(newline + 1)
            if length <= maximum {
                sink.append(TailedLine(
                    offset: bufferOffset + Int64(lineBegin), endOffset: end, bufferStart: lineBegin, length: length,
                    flags: continuesSplit ? .split : []))
            } else if policy == .split {
                while length > maximum {
                    let pieceStart = bufferOffset + Int64(lineBegin)
                    sink.append(TailedLine(
                        offset: pieceStart, endOffset: pieceStart + Int64(maximum), bufferStart: lineBegin,
                        length: maximum, flags: .split))
                    lineBegin += maximum
                    length -= maximum
                }
                sink.append(TailedLine(
                    offset: bufferOffset + Int64(lineBegin), endOffset: end, bufferStart: lineBegin, length: length,
                    flags: .split))
            } else {
                sink.append(TailedLine(
                    offset: bufferOffset + Int64(lineBegin), endOffset: end, bufferStart: lineBegin,
                    length: maximum, flags: .truncated))
            }
            continuesSplit = false
            lineBegin = newline + 1
            searchFrom = lineBegin
        }
        // The partial line left at the end of the buffer.
        var partial = count - lineBegin
        // A trailing `\r` may be the start of a `\r\n`: it does not count towards the limit yet, so pieces
        // are cut where they would be if the whole line had been read at once.
        let trailingCR = partial > 0 && bytes[count - 1] == 0x0D ? 1 : 0
        if policy == .split {
            while partial - trailingCR > maximum {
                let pieceStart = bufferOffset + Int64(lineBegin)
                sink.append(TailedLine(
                    offset: pieceStart, endOffset: pieceStart + Int64(maximum), bufferStart: lineBegin,
                    length: maximum, flags: .split))
                lineBegin += maximum
                partial -= maximum
                continuesSplit = true
            }
        }
        state.lineStart = bufferOffset + Int64(lineBegin)
        state.scannedTo = bufferOffset + Int64(count)
        state.continuesSplitLine = continuesSplit
        state.scannedEndsWithCR = partial > 0 && bytes[count - 1] == 0x0D
        return .end
    }

    /// Scan mode: the partial line is long and not in the buffer; look for its end in the new bytes.
    private func scanLongPartial(
        _ buffer: UnsafeRawBufferPointer, base: UnsafeRawPointer, bufferOffset: Int64, from: Int,
        state: inout FramerState
    ) -> Stop {
        let count = buffer.count
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        let maximum = Int64(maxLineBytes)
        let found = from < count ? memchr(base + from, 0x0A, count - from) : nil
        guard let found else {
            if from < count {
                state.scannedTo = bufferOffset + Int64(count)
                state.scannedEndsWithCR = bytes[count - 1] == 0x0D
            }
            if policy == .split, state.pendingBytes - (state.scannedEndsWithCR ? 1 : 0) > maximum {
                return .head(piece(of: state), resumeAt: count)
            }
            return .end
        }
        let newline = base.distance(to: UnsafeRawPointer(found))
        let lineEnd = bufferOffset + Int64(newline + 1)
        let endsWithCR = newline > from ? bytes[newline - 1] == 0x0D : state.scannedEndsWithCR
        var contentLength = lineEnd - 1 - state.lineStart
        if endsWithCR, contentLength > 0 { contentLength -= 1 }
        if contentLength > maximum, policy == .split {
            // Deliver one more piece; the next call, from the newline, finds it again.
            var scanned = state
            scanned.scannedTo = bufferOffset + Int64(newline)
            scanned.scannedEndsWithCR = endsWithCR
            return .head(piece(of: scanned), resumeAt: newline)
        }
        var flags: TailedLine.Flags = state.continuesSplitLine ? .split : []
        if contentLength > maximum { flags.insert(.truncated) }
        let line = TailedLine(
            offset: state.lineStart, endOffset: lineEnd, bufferStart: 0, length: Int(min(contentLength, maximum)),
            flags: flags)
        return .head(HeadRequest(line: line, nextState: FramerState(offset: lineEnd)), resumeAt: newline + 1)
    }

    /// The next `split` piece of the long partial line in `state`.
    private func piece(of state: FramerState) -> HeadRequest {
        let line = TailedLine(
            offset: state.lineStart, endOffset: state.lineStart + Int64(maxLineBytes), bufferStart: 0,
            length: maxLineBytes, flags: .split)
        var next = state
        next.lineStart += Int64(maxLineBytes)
        next.continuesSplitLine = true
        return HeadRequest(line: line, nextState: next)
    }

    /// The partial line of `state` delivered as it is, flagged `unterminated` (partial-line timeout, or a
    /// file released with an unfinished last line); nil when there is none. Under the `split` policy a
    /// partial line longer than ``maxLineBytes`` comes out as pieces: call again with the `nextState` until
    /// nil.
    public func flushPartial(_ state: FramerState) -> HeadRequest? {
        guard state.pendingBytes > 0 else { return nil }
        if policy == .split, state.pendingBytes > Int64(maxLineBytes) { return piece(of: state) }
        var flags: TailedLine.Flags = .unterminated
        if state.continuesSplitLine { flags.insert(.split) }
        if state.pendingBytes > Int64(maxLineBytes) { flags.insert(.truncated) }
        let line = TailedLine(
            offset: state.lineStart, endOffset: state.scannedTo, bufferStart: 0,
            length: Int(min(state.pendingBytes, Int64(maxLineBytes))), flags: flags)
        return HeadRequest(line: line, nextState: FramerState(offset: state.scannedTo))
    }
}

/// A growable array of line records that keeps its memory between chunks (no allocation per line or per
/// chunk once warm). Used on the tailer's thread only.
public final class LineSink {
    private var storage: UnsafeMutablePointer<TailedLine>
    private var capacity: Int
    /// Records appended since the last ``removeAll()``.
    public private(set) var count: Int = 0

    /// Makes a sink with room for `initialCapacity` records.
    public init(initialCapacity: Int = 4096) {
        capacity = max(16, initialCapacity)
        storage = .allocate(capacity: capacity)
    }

    deinit { storage.deallocate() }

    /// Appends a record.
    public func append(_ line: TailedLine) {
        if count == capacity { grow() }
        (storage + count).initialize(to: line)
        count += 1
    }

    private func grow() {
        let larger = UnsafeMutablePointer<TailedLine>.allocate(capacity: capacity * 2)
        larger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = larger
        capacity *= 2
    }

    /// Forgets the records (keeps the memory).
    public func removeAll() { count = 0 }

    /// The records, valid until the next mutation.
    public var lines: UnsafeBufferPointer<TailedLine> { UnsafeBufferPointer(start: storage, count: count) }
}
