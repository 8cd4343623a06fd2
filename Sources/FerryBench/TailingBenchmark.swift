import FileTailing
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-bench tail [--only throughput,discovery,idle] [--size-mb 1024] [--line-bytes 220]
/// [--counts 10000,100000] [--idle-files 10000] [--idle-seconds 60] [--sweep-ms 30000] [--iterations 3]
/// [--directory DIR]`
///
/// - throughput: a file of `size-mb` MiB of `line-bytes`-byte lines, read from the page cache three ways:
///   `read(2)` + `memchr` counting newlines (this machine's limit), the same reads through ``LineFramer``
///   (framing cost), and a whole ``Tailer`` delivering every line to a callback (what the agent gets).
/// - discovery: `counts` files in 100 directories; the time from ``Tailer/start()`` until every file was
///   discovered (opened, fingerprinted, start offset decided), with `start_at: end`.
/// - idle: `idle-files` files watched with the default options; the process CPU time over `idle-seconds`.
///
/// Figures are medians (min-max) over the iterations.
enum TailingBenchmark {
    struct Options {
        var only: Set<String> = ["throughput", "discovery", "idle"]
        var sizeMB = 1024
        var lineBytes = 220
        var counts = [10_000, 100_000]
        var idleFiles = 10_000
        var idleSeconds = 60
        var sweepMs = 30_000
        var iterations = 3
        var directory = "/tmp/ferry-bench-tail-\(getpid())"
    }

    /// Parses the options and runs the measurements.
    static func run(_ arguments: [String]) throws {
        var options = Options()
        var index = 0
        while index < arguments.count {
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            switch arguments[index] {
            case "--only": options.only = Set(value.split(separator: ",").map(String.init))
            case "--size-mb": options.sizeMB = max(1, Int(value) ?? options.sizeMB)
            case "--line-bytes": options.lineBytes = max(2, Int(value) ?? options.lineBytes)
            case "--counts": options.counts = value.split(separator: ",").compactMap { Int($0) }
            case "--idle-files": options.idleFiles = max(1, Int(value) ?? options.idleFiles)
            case "--idle-seconds": options.idleSeconds = max(1, Int(value) ?? options.idleSeconds)
            case "--sweep-ms": options.sweepMs = max(100, Int(value) ?? options.sweepMs)
            case "--iterations": options.iterations = max(1, Int(value) ?? options.iterations)
            case "--directory": options.directory = value
            default:
                print(
                    "usage: ferry-bench tail [--only throughput,discovery,idle] [--size-mb 1024] [--line-bytes 220] "
                        + "[--counts 10000,100000] [--idle-files 10000] [--idle-seconds 60] [--sweep-ms 30000] [--iterations 3] "
                        + "[--directory DIR]")
                exit(2)
            }
            index += 2
        }
        removeTree(options.directory)
        defer { removeTree(options.directory) }
        if options.only.contains("throughput") { try throughput(options) }
        if options.only.contains("discovery") { try discovery(options) }
        if options.only.contains("idle") { try idle(options) }
    }

    static let quiet = Logger(label: "ferry.bench.tail") { _ in SwiftLogNoOpLogHandler() }

    // MARK: Throughput

    static func throughput(_ options: Options) throws {
        let directory = options.directory + "/throughput"
        makeDirectories(directory)
        let path = directory + "/big.log"
        let size = writeLines(path, megabytes: options.sizeMB, lineBytes: options.lineBytes)
        let lines = size / Int64(options.lineBytes)
        warmPageCache(path)
        print("read+split throughput: \(size >> 20) MiB, \(lines) lines of \(options.lineBytes) bytes, page cache warm")
        var raw: [Double] = []
        var framed: [Double] = []
        var tailed: [Double] = []
        for _ in 0..<options.iterations {
            raw.append(measureRaw(path, size: size, expectedLines: lines))
            framed.append(measureFramer(path, size: size, expectedLines: lines))
            tailed.append(try measureTailer(directory, size: size, expectedLines: lines))
        }
        let gigabytes = Double(size) / 1e9
        func row(_ name: String, _ seconds: [Double]) {
            let rates = seconds.map { gigabytes / $0 }
            let range = "(" + format(rates.min() ?? 0) + "-" + format(rates.max() ?? 0) + ")"
            let lineRate = format(Double(lines) / median(seconds) / 1e6)
            print("  " + pad(name, 30) + " " + format(median(rates)) + " GB/s " + range + "  " + lineRate + " M lines/s")
        }
        row("read(2) 1 MiB + memchr", raw)
        row("read + LineFramer", framed)
        row("Tailer (start to last line)", tailed)
        removeTree(directory)
    }

    /// `read(2)` in 1 MiB chunks and count newlines with `memchr`: the floor any framing sits on.
    static func measureRaw(_ path: String, size: Int64, expectedLines: Int64) -> Double {
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        let start = now()
        var newlines: Int64 = 0
        while true {
            let count = read(descriptor, buffer, 1 << 20)
            if count <= 0 { break }
            var position = 0
            while position < count, let found = memchr(buffer + position, 0x0A, count - position) {
                newlines += 1
                position = buffer.distance(to: found) + 1
            }
        }
        let seconds = now() - start
        precondition(newlines == expectedLines, "raw: \(newlines) newlines, expected \(expectedLines)")
        return seconds
    }

    /// The same reads through the framer (records with offsets, no copies).
    static func measureFramer(_ path: String, size: Int64, expectedLines: Int64) -> Double {
        let descriptor = open(path, O_RDONLY)
        defer { close(descriptor) }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk + LineFramer.defaultRereadLimit, alignment: 64)
        defer { buffer.deallocate() }
        let framer = LineFramer(maxLineBytes: TailInput.defaultMaxLineBytes, policy: .split)
        let sink = LineSink(initialCapacity: 16_384)
        var state = FramerState(offset: 0)
        var lines: Int64 = 0
        let start = now()
        while true {
            let position = framer.readOffset(state)
            let wanted = Int(state.scannedTo - position) + chunk
            let count = pread(descriptor, buffer, wanted, off_t(position))
            if count <= 0 { break }
            _ = framer.frame(
                UnsafeRawBufferPointer(start: buffer, count: count), bufferOffset: position, from: 0, state: &state,
                into: sink)
            lines += Int64(sink.count)
            sink.removeAll()
            if count < wanted { break }
        }
        let seconds = now() - start
        precondition(lines == expectedLines, "framer: \(lines) lines, expected \(expectedLines)")
        return seconds
    }

    /// A whole tailer on the directory: from `start()` until the callback saw the last line.
    static func measureTailer(_ directory: String, size: Int64, expectedLines: Int64) throws -> Double {
        let delivered = Atomic<Int64>(0)
        let done = Atomic<Bool>(false)
        let tailer = try Tailer(
            configuration: TailerConfiguration(inputs: [TailInput(name: "bench", include: [directory + "/*.log"])]),
            logger: quiet,
            output: { output in
                guard case .lines(let chunk) = output else { return }
                let total = delivered.add(Int64(chunk.lines.count), ordering: .relaxed).newValue
                if total == expectedLines { done.store(true, ordering: .releasing) }
            })
        let start = now()
        try tailer.start()
        while !done.load(ordering: .acquiring) { usleep(200) }
        let seconds = now() - start
        tailer.stop()
        return seconds
    }

    // MARK: Discovery

    static func discovery(_ options: Options) throws {
        print("discovery: files in 100 directories, start_at end, default max_open_files (1024)")
        for count in options.counts {
            let directory = options.directory + "/discovery-\(count)"
            let creation = now()
            makeFiles(directory, count: count)
            print("  \(count) files created in \(format(now() - creation)) s")
            var scans: [Double] = []
            var discoveries: [Double] = []
            for _ in 0..<options.iterations {
                let (scan, discovery) = try measureDiscovery(directory, count: count)
                scans.append(scan)
                discoveries.append(discovery)
            }
            let range = "(" + format(discoveries.min() ?? 0) + "-" + format(discoveries.max() ?? 0) + ")"
            let rate = format(Double(count) / median(discoveries) / 1000)
            let scanned = format(median(scans))
            let discovered = format(median(discoveries))
            print("  " + pad(String(count), 7) + " files: initial scan done " + scanned + " s, all discovered "
                + discovered + " s " + range + ", " + rate + " k files/s")
            removeTree(directory)
        }
    }

    static func measureDiscovery(_ directory: String, count: Int) throws -> (scan: Double, discovery: Double) {
        let tailer = try Tailer(
            configuration: TailerConfiguration(
                inputs: [TailInput(name: "bench", include: [directory + "/*/*.log"], startAt: .end)]),
            logger: quiet, output: { _ in })
        let start = now()
        try tailer.start()
        var scan = 0.0
        while true {
            let counters = tailer.counters
            if scan == 0, counters.initialScanDone { scan = now() - start }
            if counters.filesDiscovered >= UInt64(count) { break }
            usleep(500)
        }
        let discovery = now() - start
        tailer.stop()
        return (scan, discovery)
    }

    // MARK: Idle

    static func idle(_ options: Options) throws {
        let directory = options.directory + "/idle"
        makeFiles(directory, count: options.idleFiles)
        let tailer = try Tailer(
            configuration: TailerConfiguration(
                inputs: [TailInput(name: "bench", include: [directory + "/*/*.log"])], sweepIntervalMs: options.sweepMs),
            logger: quiet, output: { _ in })
        try tailer.start()
        while tailer.counters.filesDiscovered < UInt64(options.idleFiles) { usleep(10_000) }
        sleep(2)  // let the initial reads settle
        let cpuBefore = cpuSeconds()
        let wallBefore = now()
        let sweepsBefore = tailer.counters.sweeps
        sleep(UInt32(options.idleSeconds))
        let cpu = cpuSeconds() - cpuBefore
        let wall = now() - wallBefore
        let counters = tailer.counters
        tailer.stop()
        let files = "idle: \(options.idleFiles) files watched (\(counters.filesOpen) open, "
            + "\(counters.directoriesWatched) directories watched), sweep every \(options.sweepMs) ms, close_inactive 60 s: "
        let usage = "CPU " + format(cpu * 1000) + " ms over " + format(wall) + " s = "
            + format(cpu / wall * 100, digits: 3) + " % of one core, \(counters.sweeps - sweepsBefore) sweeps"
        print(files + usage)
        removeTree(directory)
    }

    // MARK: Helpers

    /// Writes `megabytes` MiB of `lineBytes`-byte numbered lines; returns the size.
    static func writeLines(_ path: String, megabytes: Int, lineBytes: Int) -> Int64 {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        defer { close(descriptor) }
        let linesPerBlock = (1 << 20) / lineBytes
        var block = [UInt8](repeating: 0x61, count: linesPerBlock * lineBytes)
        var total: Int64 = 0
        var number = 0
        let target = Int64(megabytes) << 20
        while total + Int64(block.count) <= target {
            for line in 0..<linesPerBlock {
                let base = line * lineBytes
                var value = number
                for digit in (0..<10).reversed() {
                    block[base + digit] = UInt8(0x30 + value % 10)
                    value /= 10
                }
                block[base + lineBytes - 1] = 0x0A
                number += 1
            }
            total += Int64(block.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) })
        }
        return total
    }

    /// Creates `count` one-line files spread over 100 directories.
    static func makeFiles(_ directory: String, count: Int) {
        for bucket in 0..<100 { makeDirectories(directory + "/d\(bucket)") }
        let line = Array("2026-01-01T00:00:00Z INFO service started\n".utf8)
        for index in 0..<count {
            let descriptor = open(directory + "/d\(index % 100)/f\(index).log", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            _ = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            close(descriptor)
        }
    }

    static func warmPageCache(_ path: String) {
        let descriptor = open(path, O_RDONLY)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 20, alignment: 64)
        while read(descriptor, buffer, 1 << 20) > 0 {}
        buffer.deallocate()
        close(descriptor)
    }

    static func makeDirectories(_ path: String) {
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            mkdir(current, 0o755)
        }
    }

    static func removeTree(_ path: String) {
        guard let stream = opendir(path) else {
            unlink(path)
            return
        }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            removeTree(path + "/" + name)
        }
        closedir(stream)
        rmdir(path)
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
        return user + system
    }

    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func format(_ value: Double, digits: Int = 2) -> String {
        var text = String(Int((value * pow(10, Double(digits))).rounded()))
        while text.count <= digits { text = "0" + text }
        text.insert(".", at: text.index(text.endIndex, offsetBy: -digits))
        return text
    }
}
