import Checkpointing
import FerryTestSupport
import Testing

/// Power cut after every step of a commit, on a model of a journaling filesystem that loses what was
/// not synced (``SimulatedDisk``): every state the disk can come back in reloads as the complete old or
/// the complete new checkpoint, and a commit that returned is never lost.
@Suite("Checkpoint power loss")
struct CheckpointPowerLossTests {
    func store(on disk: SimulatedDisk) -> CheckpointStore {
        CheckpointStore(
            configuration: CheckpointConfiguration(directory: "/state"), lock: nil,
            logger: CheckpointSamples.quietLogger, fileSystem: disk
        )
    }

    @Test("a power cut after any step reloads a complete old or new state", arguments: [1, 2, 3] as [UInt64])
    func cutAfterEveryStep(seed: UInt64) throws {
        let a = CheckpointSamples.entries(count: 25, seed: seed)
        let b = CheckpointSamples.entries(count: 26, seed: seed + 100)
        let c = CheckpointSamples.entries(count: 27, seed: seed + 200)
        var outcomesChecked = 0
        var cut = 0
        while true {
            let disk = SimulatedDisk()
            let writer = store(on: disk)
            _ = try writer.load()
            try writer.commit(a, at: CheckpointSamples.time)
            try writer.commit(b, at: CheckpointSamples.time)
            disk.stepsBeforePowerLoss = cut
            var returned = false
            do {
                try writer.commit(c, at: CheckpointSamples.time)
                returned = true
            } catch {
                #expect(error.code == .ioFailure)
            }
            for outcome in disk.powerLossOutcomes() {
                let reader = store(on: outcome)
                let loaded = try reader.load()
                outcomesChecked += 1
                #expect(loaded.problems.isEmpty, "cut \(cut): \(loaded.problems)")
                switch loaded.outcome {
                case .current(generation: 2): #expect(loaded.entries == b, "cut \(cut)")
                case .current(generation: 3): #expect(loaded.entries == c, "cut \(cut)")
                default: Issue.record("cut \(cut): outcome \(loaded.outcome)")
                }
                if returned {
                    #expect(loaded.outcome == .current(generation: 3), "cut \(cut): a returned commit was lost")
                }
                // Power is back: the agent writes again on top of whatever it found.
                try reader.commit(a, at: CheckpointSamples.time)
                #expect(try store(on: outcome).load().entries == a)
            }
            if returned { break }
            cut += 1
        }
        #expect(cut == 9)
        print("power-loss simulation (seed \(seed)): \(cut + 1) cut points, \(outcomesChecked) disk states reloaded")
    }

    @Test("power cuts during a run of commits, with torn copies, never lose a returned commit", arguments: [11, 12] as [UInt64])
    func randomCuts(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        var disk = SimulatedDisk()
        var lastReturned: [CheckpointEntry]? = nil
        var lastRequested: [CheckpointEntry]? = nil
        var generation: UInt64 = 0
        for round in 0..<60 {
            let writer = store(on: disk)
            let loaded = try writer.load()
            #expect(loaded.problems.isEmpty, "seed \(seed) round \(round)")
            if case .current(let loadedGeneration) = loaded.outcome {
                #expect(loadedGeneration >= generation, "seed \(seed) round \(round)")
                #expect(loaded.entries == lastReturned || loaded.entries == lastRequested, "seed \(seed) round \(round)")
                generation = loadedGeneration
            } else {
                #expect(loaded.outcome == .fresh && lastReturned == nil, "seed \(seed) round \(round)")
            }
            lastReturned = loaded.outcome == .fresh ? nil : loaded.entries
            lastRequested = lastReturned
            disk.stepsBeforePowerLoss = Int.random(in: 0...30, using: &random)
            for _ in 0..<3 {
                let entries = CheckpointSamples.entries(count: Int.random(in: 1...20, using: &random), seed: random.next())
                lastRequested = entries
                do {
                    try writer.commit(entries, at: CheckpointSamples.time)
                    lastReturned = entries
                } catch {
                    break
                }
            }
            let outcomes = disk.powerLossOutcomes()
            disk = outcomes[Int.random(in: 0..<outcomes.count, using: &random)]
        }
    }

    @Test("the model is not vacuous: a write renamed into place without fsync can come back empty or zeroed")
    func modelLosesUnsyncedData() throws {
        let disk = SimulatedDisk()
        let descriptor = try disk.createFile(atPath: "/state/x")
        _ = try [UInt8](repeating: 7, count: 10).withUnsafeBytes { raw throws(FileIOFailure) in try disk.write(descriptor, raw) }
        try disk.close(descriptor)
        try disk.rename("/state/x", to: "/state/y")
        let contents = disk.powerLossOutcomes().map { try? $0.readFile(atPath: "/state/y") }
        #expect(contents.contains { $0 == [] })
        #expect(contents.contains { $0 == [UInt8](repeating: 0, count: 10) })
        #expect(contents.contains { $0 == nil })
    }
}

import FileTailing
