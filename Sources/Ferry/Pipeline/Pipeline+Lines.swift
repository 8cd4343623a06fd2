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
    var headers: RecordHeaders
    /// The key of every record (`path` or a fixed key), nil for sticky partitioning.
    var key: [UInt8]?
    /// A container record whose pieces (`P` lines, or Docker pieces without a newline) are not complete.
    var partial: PartialRecord?
    /// Where the next ledger segment starts (lines of a pending partial are not sent yet).
    var nextSegmentStart: Int64

    init(input: InputConfiguration, path: String, hostName: String, start: Int64) {
        self.input = input
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

/// The pieces of a container record read so far.
struct PartialRecord {
    var bytes: [UInt8] = []
    var startOffset: Int64
    var endOffset: Int64
    var stream: [UInt8]?
}

/// Why appending a record stopped the chunk.
enum AppendStop: Error {
    case stopping
}

extension Pipeline {
    /// Appends every line of `chunk` as records, as one ledger segment.
    func handle(_ chunk: TailChunk) {
        let file = chunk.file
        guard var state = reading[file.id], !chunk.lines.isEmpty else { return }
        let lines = chunk.lines
        counters.linesRead.wrappingIncrement(by: lines.count, ordering: .relaxed)
        counters.bytesRead.wrappingIncrement(by: Int(lines[lines.count - 1].endOffset - lines[0].offset), ordering: .relaxed)
        let token = shared.withLock { $0.tracker.start(file: file.id) }
        let timestamp = wallClockMilliseconds()
        var records = 0
        var segmentEnd = state.nextSegmentStart
        var lastComplete: TailedLine? = nil
        do {
            switch state.input.format {
            case .raw:
                for line in lines {
                    let value = UnsafeRawBufferPointer(rebasing: chunk.bytes[Int(line.bufferStart)..<(Int(line.bufferStart) + Int(line.length))])
                    if try append(value, offset: line.offset, stream: nil, state: state, topic: state.input.topic, timestamp: timestamp, token: token) {
                        records += 1
                    }
                }
                segmentEnd = lines[lines.count - 1].endOffset
                lastComplete = lines[lines.count - 1]
            case .dockerJSON, .cri:
                for line in lines {
                    let raw = UnsafeRawBufferPointer(rebasing: chunk.bytes[Int(line.bufferStart)..<(Int(line.bufferStart) + Int(line.length))])
                    records += try containerLine(raw, line: line, state: &state, timestamp: timestamp, token: token)
                    if state.partial == nil {
                        segmentEnd = line.endOffset
                        lastComplete = line
                    }
                }
            }
        } catch {
            // Stopping: this segment is never registered, so the checkpoint cannot pass it.
            reading[file.id] = state
            return
        }
        let marker = lastComplete.map { Self.marker(of: $0, in: chunk.bytes) } ?? .none
        finishSegment(file: file, token: token, range: state.nextSegmentStart..<segmentEnd, marker: marker, records: records)
        state.nextSegmentStart = segmentEnd
        reading[file.id] = state
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

    /// Handles one line of a container format; returns the records it produced (0 or 1).
    private func containerLine(
        _ raw: UnsafeRawBufferPointer, line: TailedLine, state: inout ReadingState, timestamp: Int64, token: UInt64
    ) throws -> Int {
        var text: Range<Int>
        var complete: Bool
        var stream: UnsafeRawBufferPointer?
        var source: UnsafeRawBufferPointer = raw
        scratch.removeAll(keepingCapacity: true)
        var parsedDocker = false
        switch state.input.format {
        case .dockerJSON:
            guard let parsed = DockerJSONLine.parse(raw, into: &scratch) else {
                counters.formatErrors.wrappingIncrement(ordering: .relaxed)
                return try flushAndAppendRaw(raw, line: line, state: &state, timestamp: timestamp, token: token)
            }
            text = parsed.text
            complete = parsed.complete || line.flags.contains(.unterminated)
            stream = parsed.stream.map { UnsafeRawBufferPointer(rebasing: raw[$0]) }
            parsedDocker = true
        default:
            guard let parsed = CRILine.parse(raw) else {
                counters.formatErrors.wrappingIncrement(ordering: .relaxed)
                return try flushAndAppendRaw(raw, line: line, state: &state, timestamp: timestamp, token: token)
            }
            text = parsed.text
            complete = parsed.complete || line.flags.contains(.unterminated)
            stream = UnsafeRawBufferPointer(rebasing: raw[parsed.stream])
        }
        if !complete || state.partial != nil {
            // Join the pieces; a record never grows past max_line_bytes.
            var partial = state.partial ?? PartialRecord(startOffset: line.offset, endOffset: line.offset, stream: stream.map { Array($0) })
            if parsedDocker {
                partial.bytes += scratch[text]
            } else {
                partial.bytes += UnsafeRawBufferPointer(rebasing: raw[text])
            }
            partial.endOffset = line.endOffset
            if complete || partial.bytes.count >= state.input.maxLineBytes {
                state.partial = nil
                return try appendPartial(partial, state: state, timestamp: timestamp, token: token)
            }
            state.partial = partial
            return 0
        }
        if parsedDocker {
            return try scratch.withUnsafeBytes { buffer throws in
                let value = UnsafeRawBufferPointer(rebasing: buffer[text])
                return try append(value, offset: line.offset, stream: stream, state: state, topic: state.input.topic, timestamp: timestamp, token: token) ? 1 : 0
            }
        }
        source = UnsafeRawBufferPointer(rebasing: raw[text])
        text = 0..<source.count
        return try append(source, offset: line.offset, stream: stream, state: state, topic: state.input.topic, timestamp: timestamp, token: token) ? 1 : 0
    }

    /// A line that is not in the container format: any pending pieces go first, then the raw line.
    private func flushAndAppendRaw(
        _ raw: UnsafeRawBufferPointer, line: TailedLine, state: inout ReadingState, timestamp: Int64, token: UInt64
    ) throws -> Int {
        var records = 0
        if let partial = state.partial {
            state.partial = nil
            records += try appendPartial(partial, state: state, timestamp: timestamp, token: token)
        }
        if try append(raw, offset: line.offset, stream: nil, state: state, topic: state.input.topic, timestamp: timestamp, token: token) {
            records += 1
        }
        return records
    }

    /// Appends a joined container record.
    func appendPartial(_ partial: PartialRecord, state: ReadingState, timestamp: Int64, token: UInt64) throws -> Int {
        try partial.bytes.withUnsafeBytes { value throws in
            if let stream = partial.stream {
                return try stream.withUnsafeBytes { streamBytes throws in
                    try append(value, offset: partial.startOffset, stream: streamBytes, state: state, topic: state.input.topic, timestamp: timestamp, token: token) ? 1 : 0
                }
            }
            return try append(value, offset: partial.startOffset, stream: nil, state: state, topic: state.input.topic, timestamp: timestamp, token: token) ? 1 : 0
        }
    }

    /// Appends one record (value, the file's key and headers, `log.offset`, `stream`). Waits and retries
    /// while the producer cannot take it; returns false only for a record the broker can never take
    /// (counted as lost). Throws when the agent is stopping.
    @inline(__always)
    func append(
        _ value: UnsafeRawBufferPointer, offset: Int64, stream: UnsafeRawBufferPointer?, state: ReadingState, topic: String,
        timestamp: Int64, token: UInt64
    ) throws -> Bool {
        let headers = state.headers
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
        var attempt = 0
        while true {
            do {
                if let key = state.key {
                    try key.withUnsafeBytes { keyBytes in
                        try appendRecord(topic, keyBytes, value, timestamp, headers, digits, stream, headerCount, headersSize, token)
                    }
                } else {
                    try appendRecord(topic, nil, value, timestamp, headers, digits, stream, headerCount, headersSize, token)
                }
                counters.recordsSent.wrappingIncrement(ordering: .relaxed)
                return true
            } catch let error as ProducerError {
                attempt += 1
                if try !appendFailed(error, attempt: attempt, topic: topic, size: value.count) { return false }
            }
        }
    }

    @inline(__always)
    private func appendRecord(
        _ topic: String, _ key: UnsafeRawBufferPointer?, _ value: UnsafeRawBufferPointer, _ timestamp: Int64,
        _ headers: RecordHeaders, _ digits: DecimalDigits, _ stream: UnsafeRawBufferPointer?, _ headerCount: Int,
        _ headersSize: Int, _ token: UInt64
    ) throws(ProducerError) {
        try producer.append(
            topic: topic, partition: nil, timestamp: timestamp, key: key, value: value, headerCount: headerCount,
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
        }
    }

    /// Decides what a failed append means: true to try again, false to give the record up (too large),
    /// throws when stopping.
    private func appendFailed(_ error: ProducerError, attempt: Int, topic: String, size: Int) throws -> Bool {
        if stopping.load(ordering: .relaxed) { throw AppendStop.stopping }
        switch error.code {
        case .recordTooLarge:
            counters.recordsRejected.wrappingIncrement(ordering: .relaxed)
            counters.bytesLostRejected.wrappingIncrement(by: size, ordering: .relaxed)
            logger.error(
                "bytes lost: a record is larger than the producer may send (raise max.request.size and the broker's message.max.bytes, or lower max_line_bytes)",
                metadata: ["kafka.topic": "\(topic)", "bytes": "\(size)", "reason": "record_too_large", "error": "\(error)"])
            return false
        case .closed:
            throw AppendStop.stopping
        case .bufferExhausted:
            return true
        default:
            if attempt == 1 || attempt % 30 == 0 {
                logger.error(
                    "cannot hand records to Kafka; retrying every second",
                    metadata: ["kafka.topic": "\(topic)", "attempt": "\(attempt)", "error": "\(error)"])
            }
            usleep(1_000_000)
            if stopping.load(ordering: .relaxed) { throw AppendStop.stopping }
            return true
        }
    }
}

/// Milliseconds since the epoch.
func wallClockMilliseconds() -> Int64 {
    var spec = timespec()
    clock_gettime(CLOCK_REALTIME, &spec)
    return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
}
