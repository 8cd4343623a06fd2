import CCRC32C
import CLZ4
import CZlib
import KafkaWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-bench wire`: encode + compress + CRC of log lines into 1 MiB record batches, next to the raw
/// speed of the C codec in the same run (one core), on the same lines and on the records sections of the
/// same batches: the first difference is the whole cost, the second is Ferry's code alone.
///
/// Options: `--lines N` (default 1,000,000), `--runs N` (default 5; the median is printed),
/// `--codecs none,lz4,gzip-1,gzip-6,breakdown` (default all).
enum WireBenchmark {
    static func run(_ arguments: [String]) throws {
        var lines = 1_000_000
        var runs = 5
        var only: Set<String>? = nil
        var index = 0
        while index < arguments.count {
            switch arguments[index] {
            case "--lines": lines = Int(arguments[index + 1]) ?? lines; index += 2
            case "--runs": runs = Int(arguments[index + 1]) ?? runs; index += 2
            case "--codecs": only = Set(arguments[index + 1].split(separator: ",").map(String.init)); index += 2
            default: throw BenchmarkError("unknown option \(arguments[index])")
            }
        }
        let corpus = LogCorpus(lines: lines)
        let mb = Double(corpus.totalLineBytes) / 1e6
        // What the codec compresses in Ferry's path: the records sections of the batches, as Kafka frames them.
        let sections = try recordsSections(corpus)
        print("corpus: \(corpus.count) lines, \(corpus.totalLineBytes) bytes of lines (avg \(corpus.totalLineBytes / corpus.count) B/line), seed 20261124")
        print("as Kafka records: \(sections.bytes.count) bytes in \(sections.ends.count) batches of 1 MiB (uncompressed)")
        print("one thread; median of \(runs) runs, the three columns measured in turn in each run")
        print("")
        print(
            pad("codec", 8), pad("ours s", 8), pad("MB/s", 8), pad("lines/s", 9), pad("compr", 6), "|",
            pad("C, lines s", 11), pad("C MB/s", 8), pad("vs lines", 9), "|", pad("C, records s", 13), pad("format", 8), pad("our code", 8))
        let crcSpeed = measure(runs: runs) { crcAll(corpus) }
        for (name, codec, level) in [
            ("none", RecordBatchCompression.none, Int32(0)), ("lz4", .lz4, 0), ("gzip-1", .gzip, 1), ("gzip-6", .gzip, 6),
        ] where only?.contains(name) ?? true {
            // One untimed pass surfaces an encoding error (and warms the caches); the timed passes repeat it.
            let compressedBytes = try encodeBatches(corpus, codec: codec, level: level)
            // In turn, so that noise from the rest of the machine hits all three alike.
            let times = measureInTurn(runs: runs, [
                { _ = try? encodeBatches(corpus, codec: codec, level: level) },
                { rawCodec(corpus.bytes, ends: chunkEnds(corpus), staged: true, codec: codec, level: level) },
                { rawCodec(sections.bytes, ends: sections.ends, staged: true, codec: codec, level: level) },
            ])
            let (ours, onLines, onRecords) = (times[0], times[1], times[2])
            // `none` has no codec: its C columns are a memcpy, which says nothing about a format's cost.
            let hasCodec = codec != .none
            print(
                pad(name, 8), pad(format3(ours), 8), pad(format1(mb / ours), 8), pad(format0(Double(lines) / ours), 9),
                pad(format2(Double(corpus.totalLineBytes) / Double(compressedBytes)), 6), "|",
                pad(format3(onLines), 11), pad(format1(mb / onLines), 8), pad(percent(ours, over: onLines), 9), "|",
                pad(format3(onRecords), 13), pad(hasCodec ? percent(onRecords, over: onLines) : "-", 8),
                pad(hasCodec ? percent(ours, over: onRecords) : "-", 8))
        }
        print("")
        print("compr: bytes of lines over bytes of batches.")
        print("ours: lines read 1 MiB at a time into a buffer (as read(2) delivers a file), appended as records, each")
        print("  1 MiB batch compressed, its header written and its CRC-32C computed: Ferry's whole wire path.")
        print("C, lines: the C library alone (zlib deflate with gzip framing, or the LZ4 frame API with Kafka's")
        print("  settings; for none a memcpy) on the same lines, read the same way: the codec's raw speed.")
        print("vs lines: what the whole path costs over the codec on the bare lines.")
        print("C, records: the same C call on the records sections of Ferry's batches, read the same way: no Ferry")
        print("  code timed. format: what compressing Kafka's record framing (length, attributes, timestamp and")
        print("  offset deltas, key and value lengths, about 10 bytes a line, some different in every record) costs")
        print("  the codec over the bare lines; every Kafka producer pays it. our code: what Ferry's framing")
        print("  (record encoding, batch header, CRC-32C) costs over the codec on the bytes it compresses.")
        if only == nil || only!.contains("breakdown") {
            print("")
            let memcpy = measure(runs: runs) { rawCodec(corpus, codec: .none, level: 0) }
            let encode = measure(runs: runs) { _ = try? encodeBatches(corpus, codec: .none, level: 0, upTo: .encode) }
            print("breakdown: lines read and encoded as records (no codec, no CRC) \(format3(encode)) s; lines read and copied once more (C, lines, none) \(format3(memcpy)) s")
            for (name, codec) in [("lz4", RecordBatchCompression.lz4), ("none", .none)] where only?.contains(name) ?? true {
                let times = measureInTurn(runs: runs, [
                    { _ = try? encodeBatches(corpus, codec: codec, level: 0, upTo: .seal) },
                    { _ = try? encodeBatches(corpus, codec: codec, level: 0, upTo: .stamp) },
                ])
                print("breakdown \(name): read + encoded + codec \(format3(times[0])) s; + CRC-32C \(format3(times[1])) s")
            }
        }
        print("")
        print("CRC-32C alone over the corpus: \(format1(mb / crcSpeed)) MB/s (hardware: \(ferry_crc32c_hardware_available() == 1 ? "yes" : "no"))")
    }

    /// Our path: the lines arrive in a 1 MiB read buffer, as `read(2)` delivers a file; records are
    /// appended from there with the fast builder, sealed (compressed) every 1 MiB, stamped (CRC).
    /// `onSealed` sees each sealed batch (not with `upTo: .encode`).
    static func encodeBatches(
        _ corpus: LogCorpus, codec: RecordBatchCompression, level: Int32, upTo stage: Stage = .stamp,
        onSealed: ((SealedRecordBatch) -> Void)? = nil
    ) throws -> Int {
        var encoder = try BatchEncoder(codec: codec, level: level, stage: stage, onSealed: onSealed)
        var readBuffer = [UInt8](repeating: 0, count: chunkSize)
        try corpus.bytes.withUnsafeBytes { bytes in
            try readBuffer.withUnsafeMutableBytes { staged in
                try encoder.encode(corpus, from: bytes, stagingIn: staged)
            }
        }
        return encoder.total
    }

    /// The state of one ``encodeBatches(_:codec:level:upTo:onSealed:)`` pass. Its loop works on the struct's
    /// own stored properties (no variable captured by a closure), so that the benchmark times the builder,
    /// not Swift's dynamic exclusivity checks on captured variables.
    struct BatchEncoder {
        let compressor: BatchCompressor
        let stage: Stage
        let onSealed: ((SealedRecordBatch) -> Void)?
        var builder = RecordBatchBuilder(capacity: 1 << 20)
        var total = 0
        let limit = 1 << 20

        init(codec: RecordBatchCompression, level: Int32, stage: Stage, onSealed: ((SealedRecordBatch) -> Void)?) throws {
            compressor = try BatchCompressor(codec, level: codec == .gzip ? level : nil)
            self.stage = stage
            self.onSealed = onSealed
        }

        mutating func encode(_ corpus: LogCorpus, from bytes: UnsafeRawBufferPointer, stagingIn staged: UnsafeMutableRawBufferPointer) throws {
            let starts = corpus.starts
            let lengths = corpus.lengths
            var line = 0
            while line < corpus.count {
                // "read(2)": the next whole lines that fit in the read buffer.
                let first = line
                let start = starts[first]
                var end = start
                while line < corpus.count && starts[line] + lengths[line] + 1 - start <= staged.count {
                    end = starts[line] + lengths[line] + 1
                    line += 1
                }
                staged.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
                for index in first..<line {
                    let value = UnsafeRawBufferPointer(start: staged.baseAddress! + (starts[index] - start), count: lengths[index])
                    if builder.sizeInBytes + value.count + 16 > limit {
                        try finishBatch(baseSequence: index)
                    }
                    builder.append(timestamp: 1_732_400_000_000, key: nil, value: value, headerCount: 0, headersSize: 0) { _ in }
                }
            }
            if !builder.isEmpty { try finishBatch(baseSequence: corpus.count) }
        }

        mutating func finishBatch(baseSequence: Int) throws {
            if stage == .encode {
                total += builder.sizeInBytes
                builder.reset()
                return
            }
            var sealed = try builder.seal(with: compressor)
            if stage == .stamp {
                sealed.stamp(producerId: 1, producerEpoch: 0, baseSequence: Int32(baseSequence))
            }
            onSealed?(sealed)
            total += sealed.sizeInBytes
        }
    }

    /// How far ``encodeBatches(_:codec:level:upTo:onSealed:)`` goes, for the breakdown.
    enum Stage {
        /// Records only (the builder is emptied every 1 MiB).
        case encode
        /// Records and the codec.
        case seal
        /// Records, codec and CRC-32C: the whole path.
        case stamp
    }

    /// The size of the read buffer both paths get their lines in.
    static let chunkSize = 1 << 20

    /// The floor: the C library over the same line bytes, in 1 MiB chunks (for none: a memcpy).
    static func rawCodec(_ corpus: LogCorpus, codec: RecordBatchCompression, level: Int32) {
        rawCodec(corpus.bytes, ends: chunkEnds(corpus), staged: true, codec: codec, level: level)
    }

    /// Where each read-buffer-sized piece of the corpus ends.
    static func chunkEnds(_ corpus: LogCorpus) -> [Int] {
        Array(stride(from: chunkSize, to: corpus.bytes.count, by: chunkSize)) + [corpus.bytes.count]
    }

    /// The records sections of the batches ``encodeBatches(_:codec:level:upTo:onSealed:)`` makes, uncompressed, one
    /// after the other, and where each ends: what the codec compresses in Ferry's path.
    static func recordsSections(_ corpus: LogCorpus) throws -> (bytes: [UInt8], ends: [Int]) {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        _ = try encodeBatches(corpus, codec: .none, level: 0, upTo: .seal) { sealed in
            let buffer = sealed.buffer
            let header = RecordBatchLayout.headerSize
            bytes += buffer.getBytes(at: buffer.readerIndex + header, length: buffer.readableBytes - header) ?? []
            ends.append(bytes.count)
        }
        return (bytes, ends)
    }

    /// The C library over `bytes` cut at `ends` (each piece at most ``chunkSize``), each piece copied first
    /// into a read buffer when `staged`.
    static func rawCodec(_ source: [UInt8], ends: [Int], staged stage: Bool, codec: RecordBatchCompression, level: Int32) {
        let chunk = chunkSize
        var output = [UInt8](repeating: 0, count: chunk * 2 + 65536)
        var stream = z_stream()
        if codec == .gzip {
            deflateInit2_(&stream, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        }
        var context: OpaquePointer?
        var preferences = LZ4F_preferences_t()
        preferences.frameInfo.blockSizeID = LZ4F_max64KB
        preferences.frameInfo.blockMode = LZ4F_blockIndependent
        if codec == .lz4 { LZ4F_createCompressionContext(&context, UInt32(LZ4F_VERSION)) }
        var readBuffer = [UInt8](repeating: 0, count: chunkSize)
        source.withUnsafeBytes { bytes in
            output.withUnsafeMutableBytes { out in
              readBuffer.withUnsafeMutableBytes { staged in
                var start = 0
                for end in ends {
                    let length = min(chunk, end - start)
                    var input = UnsafeRawPointer(bytes.baseAddress! + start)
                    if stage {
                        // "read(2)" into the same kind of buffer, then the codec on it.
                        staged.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: length)
                        input = UnsafeRawPointer(staged.baseAddress!)
                    }
                    switch codec {
                    case .gzip:
                        deflateReset(&stream)
                        stream.next_in = UnsafeMutablePointer(mutating: input.assumingMemoryBound(to: Bytef.self))
                        stream.avail_in = uInt(length)
                        stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                        stream.avail_out = uInt(out.count)
                        deflate(&stream, Z_FINISH)
                    case .lz4:
                        var written = LZ4F_compressBegin(context, out.baseAddress, out.count, &preferences)
                        written += LZ4F_compressUpdate(context, out.baseAddress! + written, out.count - written, input, length, nil)
                        _ = LZ4F_compressEnd(context, out.baseAddress! + written, out.count - written, nil)
                    default:
                        memcpy(out.baseAddress!, input, length)
                    }
                    start = end
                }
              }
            }
        }
        if codec == .gzip { deflateEnd(&stream) }
        if codec == .lz4 { LZ4F_freeCompressionContext(context) }
    }

    static func crcAll(_ corpus: LogCorpus) {
        _ = corpus.bytes.withUnsafeBytes { ferry_crc32c_extend(0, $0.baseAddress, $0.count) }
    }
}

/// A benchmark option error.
struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Runs `body` `runs` times and returns the median wall time in seconds.
func measure(runs: Int, _ body: () -> Void) -> Double {
    var times: [Double] = []
    for _ in 0..<max(runs, 1) {
        let start = monotonicSeconds()
        body()
        times.append(monotonicSeconds() - start)
    }
    times.sort()
    return times[times.count / 2]
}

/// Runs each of `bodies` in turn, `runs` times over; returns the median wall time of each, in seconds.
func measureInTurn(runs: Int, _ bodies: [() -> Void]) -> [Double] {
    var times = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<max(runs, 1) {
        for (index, body) in bodies.enumerated() {
            let start = monotonicSeconds()
            body()
            times[index].append(monotonicSeconds() - start)
        }
    }
    return times.map { $0.sorted()[$0.count / 2] }
}

/// `value` over `base` as a signed percentage ("+4.2%").
func percent(_ value: Double, over base: Double) -> String {
    let change = (value - base) / base * 100
    return (change >= 0 ? "+" : "") + format1(change) + "%"
}

func monotonicSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func format0(_ value: Double) -> String { String(Int(value.rounded())) }
func format1(_ value: Double) -> String { formatFixed(value, digits: 1) }
func format2(_ value: Double) -> String { formatFixed(value, digits: 2) }
func format3(_ value: Double) -> String { formatFixed(value, digits: 3) }

func formatFixed(_ value: Double, digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
    } else if digits > 0 {
        text += "." + String(repeating: "0", count: digits)
    }
    return text
}
