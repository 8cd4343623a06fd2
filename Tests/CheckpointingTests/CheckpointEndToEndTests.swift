import Checkpointing
import FerryTestSupport
import FileTailing
import Foundation
import Testing

/// The pieces together, as the agent will wire them, on real files: lines are sent as segments, acknowledged
/// in random order, some fail and are re-sent, the schedule decides when to commit, files rotate, and the
/// agent "crashes" (all memory dropped) at random moments and resumes from the checkpoint. At the end every
/// byte of every file has been acknowledged at least once, and no resume ever started past an unacknowledged byte.
@Suite("Checkpoint end to end")
struct CheckpointEndToEndTests {
    final class TrackedFile {
        var path: String
        let key: Int
        var readOffset: Int64
        var acknowledged: [Range<Int64>] = []
        init(path: String, key: Int, readOffset: Int64) {
            self.path = path
            self.key = key
            self.readOffset = readOffset
        }
    }

    struct InFlight {
        var key: Int
        var id: SegmentID
        var range: Range<Int64>
        var failed: Bool
    }

    static func identity(of path: String) throws -> (FileIdentity, Int64) {
        let descriptor = Glibc.open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileIOFailure(errno: errno, operation: "open") }
        defer { _ = Glibc.close(descriptor) }
        var info = stat()
        _ = fstat(descriptor, &info)
        return (try FileFingerprinting.identity(descriptor: descriptor).get(), Int64(info.st_size))
    }

    static func covered(_ ranges: [Range<Int64>], upTo size: Int64) -> Bool {
        var end: Int64 = 0
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if range.lowerBound > end { return false }
            end = max(end, range.upperBound)
        }
        return end >= size
    }

    @Test("crashes, rotations, failures and out-of-order acks never lose a line", arguments: [101, 202, 303] as [UInt64])
    func agentLoop(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let temporary = try TemporaryDirectory("ckpt-e2e")
        defer { temporary.remove() }
        let logs = temporary.file("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let state = temporary.file("state")
        let configuration = CheckpointConfiguration(directory: state, interval: .milliseconds(50))
        var files: [TrackedFile] = []
        var nextKey = 0
        var rotations = 0
        for index in 0..<3 {
            let path = logs + "/app\(index).log"
            #expect(FileManager.default.createFile(atPath: path, contents: nil))
            files.append(TrackedFile(path: path, key: nextKey, readOffset: 0))
            nextKey += 1
        }
        var allFiles = files   // every file ever created, for the final coverage check
        var active = files     // the file each application writes to now (index = application)
        var (store, _) = try CheckpointStore.open(configuration: configuration, logger: CheckpointSamples.quietLogger)
        var ledger = AckLedger<Int>()
        for file in files { ledger.track(file.key) }
        var schedule = CheckpointSchedule(interval: configuration.interval)
        var inFlight: [InFlight] = []
        var clock = ContinuousClock.now
        var crashes = 0
        var lastDurable: [Int: Int64] = [:]   // per key: committed offset in the last successful commit

        func entries() throws -> [CheckpointEntry] {
            try files.compactMap { file in
                guard let fileLedger = ledger[file.key] else { return nil }
                let (identity, size) = try Self.identity(of: file.path)
                return CheckpointEntry(
                    identity: identity, path: file.path, inputName: "apps", committedOffset: fileLedger.committedOffset,
                    marker: fileLedger.committedMarker, knownSize: size, updatedAt: CheckpointSamples.time,
                    lastAcknowledgedAt: fileLedger.lastAcknowledgement
                )
            }
        }

        func run(_ action: CheckpointSchedule.Action) throws {
            var action = action
            while action == .writeNow {
                let snapshot = try entries()
                try store.commit(snapshot, at: CheckpointSamples.time)
                for entry in snapshot {
                    if let file = files.first(where: { $0.path == entry.path }) { lastDurable[file.key] = entry.committedOffset }
                }
                action = schedule.writeSucceeded(at: clock)
            }
        }

        for step in 0..<400 {
            clock += .milliseconds(Int.random(in: 1...30, using: &random))
            try run(schedule.deadlineReached(at: clock))
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30:   // an application writes lines to its current file
                let file = active.randomElement(using: &random)!
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file.path))
                try handle.seekToEnd()
                for _ in 0..<Int.random(in: 1...5, using: &random) {
                    try handle.write(contentsOf: Data("step \(step) \(random.string(maximumLength: 40))\n".utf8))
                }
                try handle.close()
            case 30..<55:  // the agent reads what is new and sends it as one segment (or skips it)
                let file = files.randomElement(using: &random)!
                let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: file.path)))
                guard let lastNewline = content.lastIndex(of: 10), Int64(lastNewline + 1) > file.readOffset else { break }
                let end = Int64(lastNewline + 1)
                let lineStart = content[..<lastNewline].lastIndex(of: 10).map { $0 + 1 } ?? 0
                let marker = OffsetMarker(suffixOf: content[max(lineStart, Int(file.readOffset))..<Int(end)])
                let range = file.readOffset..<end
                if Int.random(in: 0..<10, using: &random) == 0 {
                    try ledger.skip(file.key, range, marker: marker)   // a filtered line: done without sending
                    file.acknowledged.append(range)
                    try run(schedule.changed(at: clock))
                } else {
                    inFlight.append(InFlight(key: file.key, id: try ledger.send(file.key, range, marker: marker), range: range, failed: false))
                }
                file.readOffset = end
            case 55..<80:  // Kafka acknowledges a random in-flight segment
                guard let pick = inFlight.indices.randomElement(using: &random) else { break }
                let segment = inFlight.remove(at: pick)
                if segment.failed { ledger.resend(segment.key, segment.id) }
                allFiles.first { $0.key == segment.key }?.acknowledged.append(segment.range)
                if ledger.acknowledge(segment.key, segment.id, at: CheckpointSamples.time).advanced {
                    try run(schedule.changed(at: clock))
                }
            case 80..<90:  // a delivery fails (retried later by the ack branch)
                guard let pick = inFlight.indices.randomElement(using: &random) else { break }
                inFlight[pick].failed = true
                ledger.fail(inFlight[pick].key, inFlight[pick].id)
            case 90..<94:  // rotation by rename: keep tailing the old file under its new name, start the new one
                let index = Int.random(in: 0..<active.count, using: &random)
                let old = active[index]
                rotations += 1
                let current = old.path
                let rotated = current + ".\(rotations)"
                #expect(rename(current, rotated) == 0)
                old.path = rotated
                let fresh = TrackedFile(path: current, key: nextKey, readOffset: 0)
                nextKey += 1
                #expect(FileManager.default.createFile(atPath: fresh.path, contents: nil))
                active[index] = fresh
                files.append(fresh)
                allFiles.append(fresh)
                ledger.track(fresh.key)
                try run(schedule.changed(at: clock))
            default:       // crash: every in-memory thing is lost; restart from the checkpoint
                crashes += 1
                let committedAtCrash = Dictionary(uniqueKeysWithValues: files.map { ($0.key, ledger[$0.key]?.committedOffset ?? 0) })
                store.close()
                let opened = try CheckpointStore.open(configuration: configuration, logger: CheckpointSamples.quietLogger)
                store = opened.store
                let observed = try files.map { file in
                    let (identity, size) = try Self.identity(of: file.path)
                    return ObservedFile(path: file.path, identity: identity, size: size, inputName: "apps")
                }
                let plan = ResumePlanner(logger: CheckpointSamples.quietLogger).plan(
                    entries: opened.loaded.entries, observed: observed, unknownFiles: .beginning,
                    now: CheckpointSamples.time, forgetAfter: .seconds(3600)
                )
                #expect(plan.lostBytes.isEmpty, "seed \(seed) step \(step)")
                ledger = AckLedger<Int>()
                inFlight.removeAll()
                schedule = CheckpointSchedule(interval: configuration.interval)
                for (file, decision) in zip(files, plan.decisions) {
                    #expect(decision.startOffset <= committedAtCrash[file.key] ?? 0, "seed \(seed) step \(step): resumed past an unacknowledged byte")
                    #expect(decision.startOffset == lastDurable[file.key] ?? 0, "seed \(seed) step \(step): \(file.path) \(decision.reason)")
                    file.readOffset = decision.startOffset
                    ledger.track(file.key, committedOffset: decision.startOffset, marker: decision.marker)
                }
            }
        }
        // Drain: read everything, acknowledge everything (failed ones after a retry).
        for file in files {
            let size = Int64(try Data(contentsOf: URL(fileURLWithPath: file.path)).count)
            if size > file.readOffset {
                inFlight.append(InFlight(key: file.key, id: try ledger.send(file.key, file.readOffset..<size, marker: .none), range: file.readOffset..<size, failed: false))
                file.readOffset = size
            }
        }
        for segment in inFlight.shuffled(using: &random) {
            if segment.failed { ledger.resend(segment.key, segment.id) }
            allFiles.first { $0.key == segment.key }?.acknowledged.append(segment.range)
            _ = ledger.acknowledge(segment.key, segment.id, at: CheckpointSamples.time)
        }
        try store.commit(try entries(), at: CheckpointSamples.time)
        store.close()
        for file in allFiles {
            let size = Int64(try Data(contentsOf: URL(fileURLWithPath: file.path)).count)
            #expect(Self.covered(file.acknowledged, upTo: size), "seed \(seed): \(file.path) has bytes never acknowledged")
            #expect(ledger[file.key]?.committedOffset ?? size == size, "seed \(seed): \(file.path)")
        }
        let final = CheckpointStore.loadReadOnly(directory: state)
        #expect(final.entries.allSatisfy { $0.committedOffset == $0.knownSize })
        #expect(crashes > 5 && rotations > 3, "seed \(seed): \(crashes) crashes, \(rotations) rotations")
        let bytes = try allFiles.reduce(0) { $0 + (try Data(contentsOf: URL(fileURLWithPath: $1.path)).count) }
        print("end to end (seed \(seed)): 400 steps, \(crashes) crashes, \(rotations) rotations, \(allFiles.count) files, \(bytes) bytes all acknowledged")
    }
}
