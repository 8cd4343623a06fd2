import Checkpointing
import FileTailing
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-bench checkpoint [--counts 1000,10000,100000] [--iterations 7] [--directory DIR]`
///
/// For each number of tracked files: the time to encode a snapshot, to commit it durably (encode, write,
/// fsync, rename, directory fsync), to load it back (read, verify both checksums, decode), and its size on
/// disk. Then the ack ledger's cost per segment with thousands of segments in flight acknowledged out of
/// order. Figures are medians (min-max) over the iterations; the page cache is warm for loads.
enum CheckpointBenchmark {
    /// Parses the options and runs every measurement.
    static func run(_ arguments: [String]) throws {
        var counts = [1000, 10_000, 100_000]
        var iterations = 7
        var directory = "/tmp/ferry-bench-checkpoint-\(getpid())"
        var index = 0
        while index < arguments.count {
            let value = index + 1 < arguments.count ? arguments[index + 1] : ""
            switch arguments[index] {
            case "--counts": counts = value.split(separator: ",").compactMap { Int($0) }
            case "--iterations": iterations = max(1, Int(value) ?? iterations)
            case "--directory": directory = value
            default:
                print("usage: ferry-bench checkpoint [--counts 1000,10000,100000] [--iterations 7] [--directory DIR]")
                exit(2)
            }
            index += 2
        }
        let logger = Logger(label: "ferry.bench.checkpoint") { _ in SwiftLogNoOpLogHandler() }
        print("checkpoint benchmark: \(iterations) iterations per size, state directory \(directory)")
        print("files     encode ms          commit ms (durable)  load ms              size bytes  bytes/file")
        for count in counts {
            try measure(count: count, iterations: iterations, directory: directory + "/n\(count)", logger: logger)
        }
        removeTree(directory)
        measureLedger()
    }

    /// Encode, durable commit and load times, and the size, for `count` tracked files.
    static func measure(count: Int, iterations: Int, directory: String, logger: Logger) throws {
        var entries = sampleEntries(count: count)
        let (store, _) = try CheckpointStore.open(configuration: CheckpointConfiguration(directory: directory), logger: logger)
        defer { store.close() }
        var encode: [Duration] = []
        var commit: [Duration] = []
        var load: [Duration] = []
        var size = 0
        for iteration in 0..<iterations {
            // Every commit must carry a change, or it is (correctly) skipped.
            entries[iteration % count].committedOffset += 1
            let encodeStart = ContinuousClock.now
            let payload = CheckpointFormat.encodePayload(entries)
            let header = CheckpointFormat.encodeHeader(generation: 1, writtenAt: .now(), entryCount: count, payload: payload)
            encode.append(ContinuousClock.now - encodeStart)
            guard header.count == CheckpointFormat.headerLength, !payload.isEmpty else {
                throw BenchmarkFailure(message: "encoding produced \(header.count) + \(payload.count) bytes")
            }

            entries[(iteration + 1) % count].committedOffset += 1
            let commitStart = ContinuousClock.now
            let outcome = try store.commit(entries)
            commit.append(ContinuousClock.now - commitStart)
            guard case .written(_, let bytes) = outcome else { throw BenchmarkFailure(message: "commit was skipped") }
            size = bytes

            let loadStart = ContinuousClock.now
            let loaded = CheckpointStore.loadReadOnly(directory: directory)
            load.append(ContinuousClock.now - loadStart)
            guard loaded.entries.count == count, loaded.problems.isEmpty else {
                throw BenchmarkFailure(message: "reload returned \(loaded.entries.count) entries, problems \(loaded.problems)")
            }
        }
        let columns = [
            pad(String(count), 9), pad(summary(encode), 18), pad(summary(commit), 20), pad(summary(load), 20),
            pad(String(size), 11), String(format1(Double(size) / Double(count))),
        ]
        print(columns.joined(separator: " "))
    }

    /// Realistic tracked files: Kubernetes-style pod log paths, a few inputs, large offsets, recent times.
    static func sampleEntries(count: Int) -> [CheckpointEntry] {
        var state: UInt64 = 0x5EED
        /// SplitMix64.
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let now = WallClockTime.now().millisecondsSinceEpoch
        return (0..<count).map { index in
            let pod = index / 4
            let offset = Int64(next() % (1 << 32))
            let path = "/var/log/pods/namespace-\(pod % 40)_service-\(pod)-7d9f8c6b5-\(String(next() % 100_000, radix: 36))/app/\(index % 4).log"
            return CheckpointEntry(
                identity: FileIdentity(device: 2049, inode: 1_000_000 + UInt64(index) * 3 + next() % 3,
                                       fingerprint: FileFingerprint(length: 1024, hash: next())),
                path: path, inputName: index % 10 == 0 ? "system" : "pods",
                committedOffset: offset, marker: OffsetMarker(length: 64, hash: next()),
                knownSize: offset + Int64(next() % 65536),
                updatedAt: WallClockTime(millisecondsSinceEpoch: now - Int64(next() % 3_600_000)),
                lastAcknowledgedAt: WallClockTime(millisecondsSinceEpoch: now - Int64(next() % 3_600_000)),
                goneSince: index % 50 == 0 ? WallClockTime(millisecondsSinceEpoch: now - 600_000) : nil
            )
        }
    }

    /// Ledger cost: 1,000,000 segments sent with 4,096 in flight, each window acknowledged in shuffled order.
    static func measureLedger() {
        var ledger = FileAckLedger()
        let total = 1_000_000
        let window = 4096
        var ids: [SegmentID] = []
        ids.reserveCapacity(window)
        var state: UInt64 = 42
        let start = ContinuousClock.now
        var offset: Int64 = 0
        var sent = 0
        while sent < total {
            ids.removeAll(keepingCapacity: true)
            for _ in 0..<window {
                guard let id = try? ledger.send(offset..<(offset + 200), marker: .none) else { return }
                ids.append(id)
                offset += 200
            }
            sent += window
            for position in stride(from: ids.count - 1, to: 0, by: -1) {
                state = state &* 6_364_136_223_846_793_005 &+ 1
                ids.swapAt(position, Int(state >> 33) % (position + 1))
            }
            for id in ids { _ = ledger.acknowledge(id, at: WallClockTime(millisecondsSinceEpoch: 0)) }
        }
        let elapsed = ContinuousClock.now - start
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        print("ack ledger: \(sent) segments (send + out-of-order ack, \(window) in flight): "
            + "\(format1(nanoseconds / Double(sent))) ns per segment; committed offset \(ledger.committedOffset) of \(offset)")
    }

    /// A measurement that could not be made.
    struct BenchmarkFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// `duration` in milliseconds.
    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// "median (min-max)" in milliseconds.
    static func summary(_ durations: [Duration]) -> String {
        let sorted = durations.map(milliseconds).sorted()
        return "\(format1(sorted[sorted.count / 2])) (\(format1(sorted.first!))-\(format1(sorted.last!)))"
    }

    /// One decimal below 100, none above.
    static func format1(_ value: Double) -> String {
        let scaled = (value * 10).rounded() / 10
        return scaled >= 100 ? String(Int(scaled)) : String(scaled)
    }

    /// `text` padded with spaces to `width`.
    static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }

    /// Removes the benchmark directory and everything in it.
    static func removeTree(_ path: String) {
        guard let directory = opendir(path) else { return }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name == "." || name == ".." { continue }
            let child = path + "/" + name
            var info = stat()
            if lstat(child, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { removeTree(child) } else { unlink(child) }
        }
        closedir(directory)
        rmdir(path)
    }
}
