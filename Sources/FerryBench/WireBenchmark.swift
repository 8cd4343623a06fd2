import CCRC32C
import CLZ4
import CZlib
import KafkaWire
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-bench wire`: encode + compress + CRC of log lines into 1 MiB record batches, next to the raw
/// speed of the C codec on the same lines in the same run (one core).
///
/// Options: `--lines N` (default 1,000,000), `--runs N` (default 5; the median is printed),
/// `--codecs none,lz4,gzip-1,gzip-6` (default all).
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
        print("corpus: \(corpus.count) lines, \(corpus.totalLineBytes) bytes of lines (avg \(corpus.totalLineBytes / corpus.count) B/line), seed 20261124")
        print("one thread; median of \(runs) runs; batches of 1 MiB (uncompressed records)")
        print("")
        print(pad("codec", 8), pad("ours s", 9), pad("ours MB/s", 10), pad("lines/s", 12), pad("C codec s", 10), pad("C MB/s", 9), pad("overhead", 9), "ratio")
        let crcSpeed = measure(runs: runs) { crcAll(corpus) }
        for (name, codec, level) in [
            ("none", RecordBatchCompression.none, Int32(0)), ("lz4", .lz4, 0), ("gzip-1", .gzip, 1), ("gzip-6", .gzip, 6),
        ] where only?.contains(name) ?? true {
            // One untimed pass surfaces an encoding error (and warms the caches); the timed passes repeat it.
            let compressedBytes = try encodeBatches(corpus, codec: codec, level: level)
            // Alternate the two, so that noise from the rest of the machine hits both alike.
            let (ours, raw) = measurePair(runs: runs) {
                _ = try? encodeBatches(corpus, codec: codec, level: level)
            } _: {
                rawCodec(corpus, codec: codec, level: level)
            }
            let overhead = (ours - raw) / raw * 100
            print(
                pad(name, 8), pad(format3(ours), 9), pad(format1(mb / ours), 10), pad(format0(Double(lines) / ours), 12),
                pad(format3(raw), 10), pad(format1(mb / raw), 9), pad(format1(overhead) + "%", 9),
                format2(Double(corpus.totalLineBytes) / Double(compressedBytes)))
        }
        if only == nil || only!.contains("breakdown") {
            print("")
            let memcpy = measure(runs: runs) { rawCodec(corpus, codec: .none, level: 0) }
            let encode = measure(runs: runs) { _ = try? encodeBatches(corpus, codec: .none, level: 0, upTo: .encode) }
            print("breakdown: lines staged in the read buffer and encoded as records (no codec, no CRC) \(format3(encode)) s, the staging alone \(format3(memcpy)) s")
            for (name, codec) in [("lz4", RecordBatchCompression.lz4), ("none", .none)] where only?.contains(name) ?? true {
                let (sealed, stamped) = measurePair(runs: runs) {
                    _ = try? encodeBatches(corpus, codec: codec, level: 0, upTo: .seal)
                } _: {
                    _ = try? encodeBatches(corpus, codec: codec, level: 0, upTo: .stamp)
                }
                print("breakdown \(name): staged + encoded + codec \(format3(sealed)) s; + CRC-32C \(format3(stamped)) s")
            }
            // Kafka's format itself: the C codec alone on the records sections Ferry writes (no Ferry code
            // timed), next to the same codec on the bare lines. The difference is the price of the bytes the
            // format adds between lines, which every Kafka producer pays.
            let sections = try recordsSections(corpus)
            for (name, codec, level) in [("lz4", RecordBatchCompression.lz4, Int32(0)), ("gzip-1", .gzip, 1)]
            where only?.contains(name) ?? true {
                let (onLines, onRecords) = measurePair(runs: runs) {
                    rawCodec(corpus.bytes, ends: chunkEnds(corpus), staged: false, codec: codec, level: level)
                } _: {
                    rawCodec(sections.bytes, ends: sections.ends, staged: false, codec: codec, level: level)
                }
                print("format \(name): the C codec alone on the lines \(format3(onLines)) s, on the records sections Ferry writes (\(sections.bytes.count) B) \(format3(onRecords)) s: +\(format1((onRecords - onLines) / onLines * 100))% from Kafka's record framing")
            }
        }
        print("")
        print("CRC-32C alone over the corpus: \(format1(mb / crcSpeed)) MB/s (hardware: \(ferry_crc32c_hardware_available() == 1 ? "yes" : "no"))")
        print("Both paths get the lines as the agent does: copied 1 MiB at a time into a read buffer (like read(2));")
        print("C codec = zlib deflate (gzip framing) or the LZ4 frame API with the same settings, called directly on")
        print("that buffer; ours = records + batch header + codec + CRC-32C. 'none' compares with a plain memcpy.")
    }

    /// Our path: the lines arrive in a 1 MiB read buffer, as `read(2)` delivers a file; records are
    /// appended from there with the fast builder, sealed (compressed) every 1 MiB, stamped (CRC).
    /// `onSealed` sees each sealed batch (not with `upTo: .encode`).
    static func encodeBatches(
        _ corpus: LogCorpus, codec: RecordBatchCompression, level: Int32, upTo stage: Stage = .stamp,
        onSealed: ((SealedRecordBatch) -> Void)? = nil
    ) throws -> Int {
        let compressor = try BatchCompressor(codec, level: codec == .gzip ? level : nil)
        var total = 0
        var builder = RecordBatchBuilder(capacity: 1 << 20)
        let limit = 1 << 20
        var readBuffer = [UInt8](repeating: 0, count: chunkSize)
        var line = 0
        func finishBatch(baseSequence: Int) throws {
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
        try corpus.bytes.withUnsafeBytes { bytes in
            try readBuffer.withUnsafeMutableBytes { staged in
                while line < corpus.count {
                    // "read(2)": the next whole lines that fit in the read buffer.
                    let first = line
                    let start = corpus.starts[first]
                    var end = start
                    while line < corpus.count && corpus.starts[line] + corpus.lengths[line] + 1 - start <= staged.count {
                        end = corpus.starts[line] + corpus.lengths[line] + 1
                        line += 1
                    }
                    staged.baseAddress!.copyMemory(from: bytes.baseAddress! + start, byteCount: end - start)
                    for index in first..<line {
                        let offset = corpus.starts[index] - start
                        let value = UnsafeRawBufferPointer(start: staged.baseAddress! + offset, count: corpus.lengths[index])
                        if builder.sizeInBytes + value.count + 16 > limit {
                            try finishBatch(baseSequence: index)
                        }
                        builder.append(timestamp: 1_732_400_000_000, key: nil, value: value, headerCount: 0, headersSize: 0) { _ in }
                    }
                }
            }
        }
        if !builder.isEmpty { try finishBatch(baseSequence: corpus.count) }
        return total
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

/// Runs `first` and `second` alternately `runs` times each; returns their median wall times in seconds.
func measurePair(runs: Int, _ first: () -> Void, _ second: () -> Void) -> (Double, Double) {
    var a: [Double] = []
    var b: [Double] = []
    for _ in 0..<max(runs, 1) {
        var start = monotonicSeconds()
        first()
        a.append(monotonicSeconds() - start)
        start = monotonicSeconds()
        second()
        b.append(monotonicSeconds() - start)
    }
    a.sort()
    b.sort()
    return (a[a.count / 2], b[b.count / 2])
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
