import Checkpointing
import FerryTestSupport
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
/// The snapshot of generation k is a pure function of (seed, k, entries), `CrashSnapshots.entries` in
/// FerryTestSupport, which the test recomputes:
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
        if loadedGeneration > 0, opened.loaded.entries != CrashSnapshots.entries(seed: seed, generation: loadedGeneration, count: count) {
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
                    CrashSnapshots.entries(seed: seed, generation: generation, count: count),
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

    /// Writes `line` to stdout with one unbuffered `write(2)`, so nothing is lost on SIGKILL.
    static func report(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(1, $0.baseAddress, $0.count) }
    }
}
