import Checkpointing
import FileTailing
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-testkit checkpoint-crash-child <state-dir> <seed> [entries]`: commits checkpoint generations
/// forever (until killed, or 60 s as a safety net), reporting each step on stdout with unbuffered writes:
///
///     L <g>     loaded generation g (0: none), after checking it equals the expected snapshot g
///     R <k>     about to commit generation k
///     C <k>     the commit of generation k returned
///     BAD ...   a check failed (then exit 3)
///
/// The snapshot of generation k is a pure function of (seed, k, entries), recomputed by the test
/// (`CheckpointCrashTests.expectedEntries`, which must stay identical to ``entries(seed:generation:count:)``):
/// every file's committed offset grows strictly with k, so "the reloaded offset is between the last
/// returned and the last requested commit" is checkable per file.
enum CheckpointCrashChild {
    static func run(_ arguments: [String]) throws {
        guard arguments.count >= 2, let seed = UInt64(arguments[1]) else {
            report("BAD usage: checkpoint-crash-child <state-dir> <seed> [entries]")
            exit(2)
        }
        let count = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
        let logger = Logger(label: "ferry.testkit.checkpoint-crash-child") { _ in SwiftLogNoOpLogHandler() }
        let configuration = CheckpointConfiguration(directory: arguments[0])
        let opened: (store: CheckpointStore, loaded: CheckpointLoadResult)
        do {
            opened = try CheckpointStore.open(configuration: configuration, logger: logger)
        } catch {
            report("BAD open: \(error)")
            exit(3)
        }
        let loadedGeneration: UInt64
        switch opened.loaded.outcome {
        case .fresh: loadedGeneration = 0
        case .current(let generation): loadedGeneration = generation
        case .recovered, .unusable:
            report("BAD load outcome \(opened.loaded.outcome): \(opened.loaded.problems)")
            exit(3)
        }
        if loadedGeneration > 0, opened.loaded.entries != entries(seed: seed, generation: loadedGeneration, count: count) {
            report("BAD loaded generation \(loadedGeneration) differs from its expected snapshot")
            exit(3)
        }
        report("L \(loadedGeneration)")
        let started = ContinuousClock.now
        var generation = loadedGeneration + 1
        while ContinuousClock.now - started < .seconds(60) {
            report("R \(generation)")
            let outcome: CommitOutcome
            do {
                outcome = try opened.store.commit(
                    entries(seed: seed, generation: generation, count: count),
                    at: WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(generation))
                )
            } catch {
                report("BAD commit \(generation): \(error)")
                exit(3)
            }
            guard case .written(let written, _) = outcome, written == generation else {
                report("BAD commit \(generation) returned \(outcome)")
                exit(3)
            }
            report("C \(generation)")
            generation += 1
        }
        exit(0)
    }

    /// The snapshot of generation `generation`.
    static func entries(seed: UInt64, generation: UInt64, count: Int) -> [CheckpointEntry] {
        (0..<count).map { index in
            let key = seed ^ (UInt64(index) << 32)
            let offset = Int64(generation) * 4096 + Int64(mix(key ^ generation) % 4096)
            return CheckpointEntry(
                identity: FileIdentity(
                    device: 64769, inode: 10_000 + UInt64(index) * 7,
                    fingerprint: FileFingerprint(length: 1024, hash: mix(key))
                ),
                path: "/var/log/crash/app-\(index).log",
                inputName: index % 3 == 0 ? "system" : "apps",
                committedOffset: offset,
                marker: OffsetMarker(length: 64, hash: mix(UInt64(offset) ^ key)),
                knownSize: offset + Int64(mix(key ^ ~generation) % 100_000),
                updatedAt: WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(generation)),
                lastAcknowledgedAt: WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(generation)),
                goneSince: index % 10 == 0 ? WallClockTime(millisecondsSinceEpoch: 1_699_999_000_000) : nil
            )
        }
    }

    /// SplitMix64's finaliser.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Writes `line` to stdout with one unbuffered `write(2)`, so nothing is lost on SIGKILL.
    static func report(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}
