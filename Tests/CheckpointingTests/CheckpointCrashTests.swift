import Checkpointing
import FerryTestSupport
import FileTailing
import Foundation
import Testing
import FerryTestTags

/// SIGKILL a child process that commits checkpoints in a loop (`ferry-testkit checkpoint-crash-child`),
/// at random moments, 200 times; after each kill the checkpoint must reload as a valid generation between
/// the last commit that returned and the last one requested. Needs
/// `swift build --product ferry-testkit` first.
@Suite("Checkpoint crash", .tags(.childProcess), .needsChildProcesses)
struct CheckpointCrashTests {
    static let entryCount = 2000

    /// `ferry-testkit`: in `FERRY_PRODUCTS_DIR` if set, else next to this test executable (the products of
    /// the scratch path being tested), else in ``PackageLocation/productsDirectory``. (Swift Testing runs have
    /// no `.xctest` bundle, so `PackageLocation` falls back to `.build/debug`, which may hold another build.)
    static func testkitExecutable() -> String {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_PRODUCTS_DIR"] { return explicit + "/ferry-testkit" }
        let running = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let beside = (running as NSString).deletingLastPathComponent + "/ferry-testkit"
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        return PackageLocation.productsDirectory + "/ferry-testkit"
    }

    @Test("SIGKILL at random moments, 200 times: the reloaded checkpoint is valid and within bounds")
    func killedWhileCommitting() throws {
        let executable = Self.testkitExecutable()
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "build it first: swift build --scratch-path <yours> --product ferry-testkit"
        )
        let temporary = try TemporaryDirectory("ckpt-crash")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let seed: UInt64 = 20_251_124
        var random = SeededGenerator(seed: seed)
        var floor: UInt64 = 0      // the last generation whose commit returned
        var ceiling: UInt64 = 0    // the last generation requested
        var killedMidCommit = 0
        var commitsReturned = 0
        let kills = 200
        for round in 0..<kills {
            let child = try KillableChild(
                executable: executable, arguments: ["checkpoint-crash-child", state, String(seed), String(Self.entryCount)]
            )
            let started = child.waitForOutput(containing: "L ", timeout: .seconds(20))
            try #require(started, "round \(round): child did not start: \(child.text)")
            usleep(UInt32.random(in: 0...25_000, using: &random))
            child.kill(SIGKILL)
            let status = child.wait()
            #expect(status & 0x7F == SIGKILL, "round \(round): child ended by itself (status \(status)): \(child.text.suffix(300))")

            var loadedByChild: UInt64?
            var requested: UInt64 = 0
            var returned: UInt64 = 0
            for line in child.text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let value = UInt64(parts[1]) else {
                    // A partial last line can only be cut by the kill: "R 12" written in one write(2) is atomic.
                    #expect(!line.hasPrefix("BAD"), "round \(round), seed \(seed): \(line)")
                    continue
                }
                switch parts[0] {
                case "L": loadedByChild = value
                case "R": requested = max(requested, value)
                case "C": returned = max(returned, value)
                default: Issue.record("round \(round): unexpected line \(line)")
                }
            }
            #expect(!child.text.contains("BAD"), "round \(round), seed \(seed): \(child.text.suffix(500))")
            if let loadedByChild {
                #expect(loadedByChild >= floor && loadedByChild <= ceiling, "round \(round): child loaded \(loadedByChild), bounds \(floor)...\(ceiling)")
            }
            if requested > returned { killedMidCommit += 1 }
            commitsReturned += Int(returned > 0 ? returned - (loadedByChild ?? 0) : 0)
            floor = max(floor, returned)
            ceiling = max(ceiling, requested)

            let loaded = CheckpointStore.loadReadOnly(directory: state)
            #expect(loaded.problems.isEmpty, "round \(round): \(loaded.problems)")
            guard case .current(let generation) = loaded.outcome else {
                #expect(loaded.outcome == .fresh && floor == 0, "round \(round): outcome \(loaded.outcome)")
                continue
            }
            #expect(generation >= floor && generation <= ceiling, "round \(round), seed \(seed): generation \(generation) outside \(floor)...\(ceiling)")
            let lowest = CrashSnapshots.entries(seed: seed, generation: floor, count: Self.entryCount)
            let highest = CrashSnapshots.entries(seed: seed, generation: ceiling, count: Self.entryCount)
            var outOfBounds = 0
            for (index, entry) in loaded.entries.enumerated()
            where entry.committedOffset < lowest[index].committedOffset || entry.committedOffset > highest[index].committedOffset {
                outOfBounds += 1
            }
            #expect(outOfBounds == 0, "round \(round): \(outOfBounds) offsets outside [last returned, last requested]")
            #expect(loaded.entries == CrashSnapshots.entries(seed: seed, generation: generation, count: Self.entryCount),
                    "round \(round): generation \(generation) is not the snapshot committed as \(generation)")
        }
        print("checkpoint crash test: \(kills) SIGKILLs, \(killedMidCommit) between 'requested' and 'returned', \(commitsReturned) commits returned, final generation \(floor)...\(ceiling), seed \(seed)")
        #expect(killedMidCommit > kills / 4, "too few kills landed during a commit to mean anything")
    }
}
