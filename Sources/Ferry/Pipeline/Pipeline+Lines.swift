import Checkpointing
import FileTailing
import KafkaProducer
import KafkaWire

#if canImport(Glibc)
import Glibc
#endif

/// What the tailer thread keeps per file.
struct ReadingState {
    var input: InputConfiguration
    /// The input's index (the tailer's input number, for pausing it).
    var inputIndex: Int
    var headers: RecordHeaders
    /// The key of every record (`path` or a fixed key), nil for sticky partitioning.
    var key: [UInt8]?
    /// A container record whose pieces (`P` lines, or Docker pieces without a newline) are not all sent.
    var partial: PartialRecord?
    /// The line (or joined record) being sent in pieces, if any.
    var pieces: LinePieces?
    /// Where the next ledger segment starts (lines of a line or record not completely sent are not in it).
    var nextSegmentStart: Int64
    /// The longest value of a whole record, and of a piece, of this file (set by the pipeline when the file
    /// opens or is renamed: they depend on the headers).
    var roomWhole = 0
    var roomPiece = 0

    init(input: InputConfiguration, inputIndex: Int, path: String, hostName: String, start: Int64) {
        self.input = input
        self.inputIndex = inputIndex
        headers = RecordHeaders(input: input, path: path, hostName: hostName)
        switch input.key {
        case .none: key = nil
        case .path: key = Array(path.utf8)
        case .fixed(let value): key = Array(value.utf8)
        }
        nextSegmentStart = start
    }

    /// The path changed (rename): the `log.file.path` header follows the new name; a `path` key stays the
    /// path the file was opened under, so that every line of a file goes to one partition, in order.
    mutating func renamed(to path: String, hostName: String) {
        headers = RecordHeaders(input: input, path: path, hostName: hostName)
    }
}

/// A line or record longer than one record may be, on its way in pieces (`log.piece` header: `P<n>` while
/// more follow, `F<n>` for the last). Every piece goes to the partition of the first, so that a consumer
/// finds them in order in one partition.
struct LinePieces {
    /// The number of the next piece.
    var next = 0
    /// The partition of the first piece (the others are sent there).
    var partition: Int32?
    /// A tailer line partly sent before the producer refused the rest: its offset and the content bytes of
    /// it already sent (when the tailer offers it again, those are skipped).
    var sentOffset: Int64 = -1
    var sentBytes = 0
}

/// The pieces of a container record read so far (and not sent yet).
struct PartialRecord {
    var bytes: [UInt8] = []
    var startOffset: Int64
    /// The end of the last line whose text was added (a line offered again after a refusal is not added
    /// twice).
    var endOffset: Int64
    var stream: [UInt8]?
    /// Its last piece was read: what is left is sent as the final piece.
    var complete = false
}

/// What became of one record handed to the producer.
enum AppendResult {
    /// Taken; it goes to this partition.
    case sent(Int32)
    /// It can never be taken (larger than any request): counted as lost.
    case lost
    /// Not now (the topic unknown or refusing, the buffer full) or never again (stopping): the line is
    /// offered again later.
    case refused(ProducerError)
}

/// Why handling a line stopped before its end.
struct LineRefused: Error {
    var error: ProducerError
}

extension Pipeline {
    /// Appends the lines of `chunk` as records, as one ledger segment; stops at the first line the producer
    /// cannot take now and says from which line the tailer must offer the file again.
    func handle(_ chunk: TailChunk) -> TailVerdict {
        let file = chunk.file
        guard var state = reading[file.id], !chunk.lines.isEmpty else { return .accepted }
        let lines = chunk.lines
        let token = shared.withLock { $0.tracker.start(file: file.id) }
        let timestamp = wallClockMilliseconds()
        var records = 0
        var segmentEnd = state.nextSegmentStart
        var lastComplete: TailedLine? = nil
        var refusal: (line: Int, error: ProducerError)? = nil
        let raw = state.input.format == .raw
        // The common case, kept lean: a raw line that fits one record, with the file's fixed parts hoisted.
        let headers = state.headers
        let key = state.key
        let topic = state.input.topic
        let room = state.roomWhole
        for index in 0..<lines.count {
            let line = lines[index]
            let bytes = UnsafeRawBufferPointer(rebasing: chunk.bytes[Int(line.bufferStart)..<(Int(line.bufferStart) + Int(line.length))])
            if raw, state.pieces == nil, !line.flags.contains(.split), bytes.count <= room {
                switch appendWhole(bytes, offset: line.offset, headers: headers, key: key, topic: topic, timestamp: timestamp, token: token) {
                case .sent: records += 1
                case .lost: break
                case .refused(let error):
                    refusal = (index, error)
                }
                if refusal != nil { break }
                segmentEnd = line.endOffset
                lastComplete = line
                continue
            }
            do {
                if raw {
                    try rawLine(bytes, line: line, state: &state, timestamp: timestamp, token: token, records: &records)
                } else {
                    try containerLine(bytes, line: line, state: &state, timestamp: timestamp, token: token, records: &records)
                }
            } catch {
                refusal = (index, error.error)
                break
            }
            if state.partial == nil && state.pieces == nil {
                segmentEnd = line.endOffset
                lastComplete = line
            }
        }
        let taken = refusal?.line ?? lines.count
        if taken > 0 {
            counters.linesRead.wrappingIncrement(by: taken, ordering: .relaxed)
            counters.bytesRead.wrappingIncrement(by: Int(lines[taken - 1].endOffset - lines[0].offset), ordering: .relaxed)
        }
        let marker = lastComplete.map { Self.marker(of: $0, in: chunk.bytes) } ?? .none
        finishSegment(file: file, token: token, range: state.nextSegmentStart..<segmentEnd, marker: marker, records: records)
        state.nextSegmentStart = segmentEnd
        reading[file.id] = state
        guard let refusal else {
            inputAccepted(state.inputIndex)
            checkTopicBudget(state.input.topic)
            return .accepted
        }
        let retryAfter = inputRefused(state.inputIndex, topic: state.input.topic, error: refusal.error)
        return .deferred(fromLine: refusal.line, retryAfterMs: retryAfter)
    }

    /// Whether a line ends where it ends in the file (its terminator, or a partial line flushed whole, or a
    /// truncated one): false for a piece of a longer line that more pieces follow.
    static func isComplete(_ line: TailedLine) -> Bool {
        line.endOffset > line.offset + Int64(line.length) || line.flags.contains(.unterminated) || !line.flags.contains(.split)
    }

    /// The offset marker of the position after `line`: a hash of its last bytes, terminator included,
    /// when they are all in the chunk (not for a truncated long line).
    static func marker(of line: TailedLine, in bytes: UnsafeRawBufferPointer) -> OffsetMarker {
        let rawLength = Int(line.endOffset - line.offset)
        let start = Int(line.bufferStart)
        guard !line.flags.contains(.truncated), rawLength >= Int(line.length), start + rawLength <= bytes.count else {
            return .none
        }
        return OffsetMarker(suffixOf: UnsafeRawBufferPointer(rebasing: bytes[start..<(start + rawLength)]))
    }

    /// Registers the chunk's segment in the ledger once its records were appended.
    func finishSegment(file: TailedFile, token: UInt64, range: Range<Int64>, marker: OffsetMarker, records: Int) {
        shared.withLock { shared in
            guard !range.isEmpty else {
                _ = shared.tracker.finish(token, records: records, id: nil)
                return
            }
            do {
                let id = try shared.ledger.send(file.id, range, marker: marker)
                if let complete = shared.tracker.finish(token, records: records, id: id), let segment = complete.id {
                    if shared.ledger.acknowledge(file.id, segment, at: .now()).advanced { shared.changed = true }
                }
            } catch {
                logger.error(
                    "ledger refused a segment; the checkpoint of this file will not advance",
                    metadata: ["file.path": "\(file.path)", "range": "\(range)", "error": "\(error)"])
            }
            if var record = shared.files[file.id] {
                record.identity = file.identity
                record.knownSize = max(record.knownSize, range.upperBound)
                shared.files[file.id] = record
            }
        }
        onChange()
    }

    // MARK: - Raw lines

    /// One line of a raw input: one record, or pieces when it is a piece of a long line itself or longer
    /// than one record may be.
    private func rawLine(
        _ value: UnsafeRawBufferPointer, line: TailedLine, state: inout ReadingState, timestamp: Int64, token: UInt64,
        records: inout Int
    ) throws(LineRefused) {
        if state.pieces == nil, !line.flags.contains(.split), value.count <= state.roomWhole {
            if try append(value, offset: line.offset, stream: nil, piece: nil, state: &state, timestamp: timestamp, token: token) {
                records += 1
            }
            return
        }
        try sendPieces(
            value, offset: line.offset, final: Self.isComplete(line), stream: nil, state: &state, timestamp: timestamp,
            token: token, records: &records)
    }

    /// Sends `value` (the bytes of the tailer line at `offset`) as pieces that each fit a record; `final`
    /// marks the last piece of the line. A line offered again after a refusal resumes where it stopped.
    private func sendPieces(
        _ value: UnsafeRawBufferPointer, offset: Int64, final: Bool, stream: UnsafeRawBufferPointer?,
        state: inout ReadingState, timestamp: Int64, token: UInt64, records: inout Int
    ) throws(LineRefused) {
        var pieces = state.pieces ?? LinePieces()
        var start = pieces.sentOffset == offset ? pieces.sentBytes : 0
        let room = max(1, state.roomPiece)
        repeat {
            let take = min(value.count - start, room)
            let last = start + take == value.count
            if take == 0 && !(last && final) { break }
            let slice = UnsafeRawBufferPointer(rebasing: value[start..<(start + take)])
            state.pieces = pieces
            do {
                let result = try appendOne(
                    slice, offset: offset + Int64(start), stream: stream, piece: (pieces.next, last && final),
                    partition: pieces.partition, state: state, timestamp: timestamp, token: token)
                if case .sent(let partition) = result {
                    records += 1
                    if pieces.partition == nil { pieces.partition = partition }
                }
            } catch {
                pieces.sentOffset = offset
                pieces.sentBytes = start
                state.pieces = pieces
                throw error
            }
            pieces.next += 1
            start += take
        } while start < value.count
        pieces.sentOffset = -1
        pieces.sentBytes = 0
        state.pieces = final ? nil : pieces
    }

    // MARK: - Container formats

    /// One line of a container format. A record's text is gathered in ``PartialRecord`` until its last piece
    /// arrives; longer than a record may be, it leaves in pieces as it grows (memory stays bounded). A line
    /// that is not in the format is shipped raw (any record being gathered goes first) and counted.
    private func containerLine(
        _ raw: UnsafeRawBufferPointer, line: TailedLine, state: inout ReadingState, timestamp: Int64, token: UInt64,
        records: inout Int
    ) throws(LineRefused) {
        // A record's pieces wait here only while the producer refused them: send them before anything else.
        if state.partial != nil, line.endOffset <= state.partial!.endOffset {
            try flushPartial(state: &state, timestamp: timestamp, token: token, records: &records)
            return
        }
        scratch.removeAll(keepingCapacity: true)
        var text: Range<Int>
        var complete: Bool
        var stream: UnsafeRawBufferPointer?
        var parsedDocker = false
        switch state.input.format {
        case .dockerJSON:
            guard let parsed = DockerJSONLine.parse(raw, into: &scratch) else {
                return try foreignLine(raw, line: line, state: &state, timestamp: timestamp, token: token, records: &records)
            }
            text = parsed.text
            complete = parsed.complete || line.flags.contains(.unterminated)
            stream = parsed.stream.map { UnsafeRawBufferPointer(rebasing: raw[$0]) }
            parsedDocker = true
        default:
            guard let parsed = CRILine.parse(raw) else {
                return try foreignLine(raw, line: line, state: &state, timestamp: timestamp, token: token, records: &records)
            }
            text = parsed.text
            complete = parsed.complete || line.flags.contains(.unterminated)
            stream = UnsafeRawBufferPointer(rebasing: raw[parsed.stream])
        }
        if state.partial == nil && complete && text.count <= room(state, piece: false, streamLength: stream?.count ?? 0) {
            // The common case: a whole record in one line, sent without copying it again.
            let sent: Bool
            if parsedDocker {
                sent = try withBytes(of: scratch) { buffer throws(LineRefused) in
                    try append(
                        UnsafeRawBufferPointer(rebasing: buffer[text]), offset: line.offset, stream: stream, piece: nil,
                        state: &state, timestamp: timestamp, token: token)
                }
            } else {
                sent = try append(
                    UnsafeRawBufferPointer(rebasing: raw[text]), offset: line.offset, stream: stream, piece: nil,
                    state: &state, timestamp: timestamp, token: token)
            }
            if sent { records += 1 }
            return
        }
        var partial = state.partial ?? PartialRecord(startOffset: line.offset, endOffset: line.offset, stream: stream.map { Array($0) })
        // `truncate`: the record keeps its first max_line_bytes (what was sent as pieces included).
        let kept = state.input.longLinePolicy == .truncate
            ? max(0, state.input.maxLineBytes - partial.bytes.count - sentBytes(of: state)) : text.count
        if kept < text.count { text = text.lowerBound..<(text.lowerBound + kept) }
        if parsedDocker {
            partial.bytes += scratch[text]
        } else {
            partial.bytes += UnsafeRawBufferPointer(rebasing: raw[text])
        }
        partial.endOffset = line.endOffset
        partial.complete = complete
        state.partial = partial
        try flushPartial(state: &state, timestamp: timestamp, token: token, records: &records)
    }

    /// Bytes of the current record already sent as pieces (for the `truncate` limit): pieces are full.
    private func sentBytes(of state: ReadingState) -> Int {
        guard let pieces = state.pieces else { return 0 }
        return pieces.next * max(1, room(state, piece: true, streamLength: state.partial?.stream?.count ?? 0))
    }

    /// Sends what the record being gathered can send now: full pieces while it is longer than a record may
    /// be, and everything once it is complete (as one record, or as the last piece).
    func flushPartial(state: inout ReadingState, timestamp: Int64, token: UInt64, records: inout Int) throws(LineRefused) {
        guard var partial = state.partial else { return }
        let streamLength = partial.stream?.count ?? 0
        let room = max(1, self.room(state, piece: true, streamLength: streamLength))
        func send(_ count: Int, piece: (Int, Bool)?, state: inout ReadingState) throws(LineRefused) -> Bool {
            try withBytes(of: partial.bytes) { bytes throws(LineRefused) in
                let value = UnsafeRawBufferPointer(rebasing: bytes[0..<count])
                if let stream = partial.stream {
                    return try withBytes(of: stream) { streamBytes throws(LineRefused) in
                        try sendRecord(value, offset: partial.startOffset, stream: streamBytes, piece: piece, state: &state, timestamp: timestamp, token: token)
                    }
                }
                return try sendRecord(value, offset: partial.startOffset, stream: nil, piece: piece, state: &state, timestamp: timestamp, token: token)
            }
        }
        // Full pieces while more than one record's worth waits (a complete record keeps its last piece).
        while partial.bytes.count > room || (!partial.complete && partial.bytes.count == room) {
            let number = state.pieces?.next ?? 0
            if try send(room, piece: (number, false), state: &state) { records += 1 }
            partial.bytes.removeFirst(room)
            state.partial = partial
        }
        guard partial.complete else { return }
        if let number = state.pieces?.next {
            if try send(partial.bytes.count, piece: (number, true), state: &state) { records += 1 }
        } else if partial.bytes.count > self.room(state, piece: false, streamLength: streamLength) {
            // Too long for one record without a piece header, but not for one piece: a single last piece.
            if try send(partial.bytes.count, piece: (0, true), state: &state) { records += 1 }
        } else {
            if try send(partial.bytes.count, piece: nil, state: &state) { records += 1 }
        }
        state.partial = nil
        state.pieces = nil
    }

    /// Sends one record of a joined container record (a piece, or the whole record); advances the piece
    /// count. Returns whether a record was sent (false: counted lost).
    private func sendRecord(
        _ value: UnsafeRawBufferPointer, offset: Int64, stream: UnsafeRawBufferPointer?, piece: (Int, Bool)?,
        state: inout ReadingState, timestamp: Int64, token: UInt64
    ) throws(LineRefused) -> Bool {
        let result = try appendOne(
            value, offset: offset, stream: stream, piece: piece, partition: state.pieces?.partition, state: state,
            timestamp: timestamp, token: token)
        if let piece {
            var pieces = state.pieces ?? LinePieces()
            if case .sent(let partition) = result, pieces.partition == nil { pieces.partition = partition }
            pieces.next = piece.0 + 1
            state.pieces = pieces
        }
        if case .sent = result { return true }
        return false
    }

    /// A line that is not in the container format: any record being gathered is finished first, then the
    /// line goes as it is (in pieces if it must).
    private func foreignLine(
        _ raw: UnsafeRawBufferPointer, line: TailedLine, state: inout ReadingState, timestamp: Int64, token: UInt64,
        records: inout Int
    ) throws(LineRefused) {
        if state.partial != nil {
            state.partial!.complete = true
            try flushPartial(state: &state, timestamp: timestamp, token: token, records: &records)
        }
        if state.pieces?.sentOffset != line.offset {
            counters.formatErrors.wrappingIncrement(ordering: .relaxed)
        }
        try rawLine(raw, line: line, state: &state, timestamp: timestamp, token: token, records: &records)
    }

    // MARK: - Records

    /// The room for a value with a `stream` header of `streamLength` bytes: the cached one, unless the stream is
    /// longer than it allows for.
    func room(_ state: ReadingState, piece: Bool, streamLength: Int) -> Int {
        if streamLength <= 32 || state.input.format == .raw { return piece ? state.roomPiece : state.roomWhole }
        return valueRoom(state, piece: piece, streamLength: streamLength)
    }

    /// Caches the value rooms of a file (its headers are known).
    func setRooms(_ state: inout ReadingState) {
        // Container records carry `stream`: allow for up to 32 bytes of it (stdout, stderr); a longer one is
        // measured when it comes.
        let stream = state.input.format == .raw ? 0 : 32
        state.roomWhole = valueRoom(state, piece: false, streamLength: stream)
        state.roomPiece = valueRoom(state, piece: true, streamLength: stream)
    }

    /// The longest value a record of this file may have: what `max.request.size` leaves after the key and
    /// the headers (`log.offset` at its longest, `stream`, and `log.piece` for a piece).
    func valueRoom(_ state: ReadingState, piece: Bool, streamLength: Int = 0) -> Int {
        let headers = state.headers
        var count = headers.prefixCount
        var size = headers.prefix.count
        if headers.withOffset {
            count += 1
            size += RecordHeaders.size(keyLength: RecordHeaders.offsetKey.count, valueLength: 20)
        }
        if streamLength > 0 {
            count += 1
            size += RecordHeaders.size(keyLength: RecordHeaders.streamKey.count, valueLength: streamLength)
        }
        if piece && headers.withPiece {
            count += 1
            size += RecordHeaders.size(keyLength: RecordHeaders.pieceKey.count, valueLength: 21)
        }
        return producer.maximumValueSize(keyLength: state.key?.count ?? -1, headerCount: count, headersSize: size)
    }

    /// Appends one whole record (not a piece); returns false when it was counted as lost.
    private func append(
        _ value: UnsafeRawBufferPointer, offset: Int64, stream: UnsafeRawBufferPointer?, piece: (Int, Bool)?,
        state: inout ReadingState, timestamp: Int64, token: UInt64
    ) throws(LineRefused) -> Bool {
        if case .sent = try appendOne(value, offset: offset, stream: stream, piece: piece, partition: nil, state: state, timestamp: timestamp, token: token) {
            return true
        }
        return false
    }

    /// Appends one whole raw line as a record (no `stream`, no `log.piece`, the sticky or key's partition):
    /// the hot path, with the file's fixed parts passed in.
    @inline(__always)
    private func appendWhole(
        _ value: UnsafeRawBufferPointer, offset: Int64, headers: RecordHeaders, key: [UInt8]?, topic: String,
        timestamp: Int64, token: UInt64
    ) -> AppendResult {
        appendParts(
            value, offset: offset, headers: headers, key: key, topic: topic, partition: nil, stream: nil, piece: nil,
            timestamp: timestamp, token: token)
    }

    /// Appends one record (value, the file's key and headers, `log.offset`, `stream`, `log.piece`), to
    /// `partition` when given. A record the producer can never take is counted as lost; anything else
    /// it cannot take now is thrown: the line is offered again later.
    @inline(__always)
    private func appendOne(
        _ value: UnsafeRawBufferPointer, offset: Int64, stream: UnsafeRawBufferPointer?, piece: (number: Int, last: Bool)?,
        partition: Int32?, state: ReadingState, timestamp: Int64, token: UInt64
    ) throws(LineRefused) -> AppendResult {
        let result = appendParts(
            value, offset: offset, headers: state.headers, key: state.key, topic: state.input.topic, partition: partition,
            stream: stream, piece: piece.flatMap { state.headers.withPiece ? PieceLabel(number: $0.number, last: $0.last) : nil },
            timestamp: timestamp, token: token)
        if case .refused(let error) = result { throw LineRefused(error: error) }
        return result
    }

    /// The one place a record is handed to the producer: sizes the headers, appends, and says what became of
    /// it (a record too large for any request is counted as lost here).
    @inline(__always)
    private func appendParts(
        _ value: UnsafeRawBufferPointer, offset: Int64, headers: RecordHeaders, key: [UInt8]?, topic: String,
        partition: Int32?, stream: UnsafeRawBufferPointer?, piece: PieceLabel?, timestamp: Int64, token: UInt64
    ) -> AppendResult {
        let digits = DecimalDigits(offset)
        var headerCount = headers.prefixCount
        var headersSize = headers.prefix.count
        if headers.withOffset {
            headerCount += 1
            headersSize += RecordHeaders.size(keyLength: RecordHeaders.offsetKey.count, valueLength: digits.count)
        }
        if let stream {
            headerCount += 1
            headersSize += RecordHeaders.size(keyLength: RecordHeaders.streamKey.count, valueLength: stream.count)
        }
        if let piece {
            headerCount += 1
            headersSize += RecordHeaders.size(keyLength: RecordHeaders.pieceKey.count, valueLength: piece.count)
        }
        do {
            let chosen: Int32
            if let key {
                chosen = try withBytes(of: key) { keyBytes throws(ProducerError) in
                    try appendRecord(topic, partition, keyBytes, value, timestamp, headers, digits, stream, piece, headerCount, headersSize, token)
                }
            } else {
                chosen = try appendRecord(topic, partition, nil, value, timestamp, headers, digits, stream, piece, headerCount, headersSize, token)
            }
            counters.recordsSent.wrappingIncrement(ordering: .relaxed)
            return .sent(chosen)
        } catch {
            if stopping.load(ordering: .relaxed) { return .refused(ProducerError(.closed, "the agent is stopping")) }
            guard error.code == .recordTooLarge else { return .refused(error) }
            counters.lost(reason: .recordTooLarge, records: 1, bytes: value.count)
            logger.error(
                "bytes lost: a record is larger than the producer may send",
                metadata: ["kafka.topic": "\(topic)", "bytes": "\(value.count)", "reason": "record_too_large",
                           "log.offset": "\(offset)", "error": "\(error)"])
            return .lost
        }
    }

    @inline(__always)
    private func appendRecord(
        _ topic: String, _ partition: Int32?, _ key: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer, _ timestamp: Int64,
        _ headers: RecordHeaders, _ digits: DecimalDigits, _ stream: UnsafeRawBufferPointer?, _ piece: PieceLabel?,
        _ headerCount: Int, _ headersSize: Int, _ token: UInt64
    ) throws(ProducerError) -> Int32 {
        try producer.append(
            topic: topic, partition: partition, timestamp: timestamp, key: key, value: value, headerCount: headerCount,
            headersSize: headersSize, token: token
        ) { pointer in
            var position = 0
            headers.prefix.withUnsafeBytes { prefix in
                if prefix.count > 0 { pointer.copyMemory(from: prefix.baseAddress!, byteCount: prefix.count) }
                position = prefix.count
            }
            if headers.withOffset {
                position += digits.withBytes { RecordHeaders.write(key: RecordHeaders.offsetKey, value: $0, to: pointer + position) }
            }
            if let stream {
                position += RecordHeaders.write(key: RecordHeaders.streamKey, value: stream, to: pointer + position)
            }
            if let piece {
                position += piece.withBytes { RecordHeaders.write(key: RecordHeaders.pieceKey, value: $0, to: pointer + position) }
            }
        }
    }
}

/// The `log.piece` header's value: `P<n>` while more pieces follow, `F<n>` for the last (n from 0).
struct PieceLabel {
    private let letter: UInt8
    private let digits: DecimalDigits

    init(number: Int, last: Bool) {
        letter = last ? UInt8(ascii: "F") : UInt8(ascii: "P")
        digits = DecimalDigits(Int64(number))
    }

    var count: Int { 1 + digits.count }

    func withBytes<T>(_ body: (UnsafeRawBufferPointer) -> T) -> T {
        digits.withBytes { number in
            withUnsafeTemporaryAllocation(byteCount: 1 + number.count, alignment: 1) { buffer in
                buffer[0] = letter
                if number.count > 0 { (buffer.baseAddress! + 1).copyMemory(from: number.baseAddress!, byteCount: number.count) }
                return body(UnsafeRawBufferPointer(buffer))
            }
        }
    }
}

/// `array`'s bytes for `body`, keeping `body`'s error type (`Array.withUnsafeBytes` only rethrows `any Error`).
@inline(__always)
func withBytes<R, E: Error>(of array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
    let result: Result<R, E> = array.withUnsafeBytes { bytes in Result { () throws(E) -> R in try body(bytes) } }
    return try result.get()
}

/// Milliseconds since the epoch.
func wallClockMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
