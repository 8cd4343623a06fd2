import Checkpointing
import FerryTestSupport
import Foundation
import Testing

@Suite("Checkpoint store")
struct CheckpointStoreTests {
    func makeStore(_ directory: String, policy: StartPosition = .beginning) throws -> (CheckpointStore, CheckpointLoadResult) {
        try CheckpointStore.open(
            configuration: CheckpointConfiguration(directory: directory, onCorruptCheckpoint: policy),
            logger: CheckpointSamples.quietLogger
        )
    }

    @Test("commits alternate between the two slots and a reload returns the newest generation")
    func generations() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let (store, loaded) = try makeStore(state)
        #expect(loaded.outcome == .fresh)
        let first = CheckpointSamples.entries(count: 10, seed: 1)
        let second = CheckpointSamples.entries(count: 12, seed: 2)
        let third = CheckpointSamples.entries(count: 3, seed: 3)
        #expect(try store.commit(first, at: CheckpointSamples.time) == .written(generation: 1, bytes: store.counters.lastWriteBytes))
        #expect(FileManager.default.fileExists(atPath: state + "/checkpoint.1"))
        try store.commit(second, at: CheckpointSamples.time)
        #expect(FileManager.default.fileExists(atPath: state + "/checkpoint.0"))
        try store.commit(third, at: CheckpointSamples.time)
        #expect(store.durableGeneration == 3)
        #expect(store.counters.commitsWritten == 3)
        #expect(!FileManager.default.fileExists(atPath: state + "/" + CheckpointStore.temporaryName))
        store.close()

        let readOnly = CheckpointStore.loadReadOnly(directory: state)
        #expect(readOnly.outcome == .current(generation: 3))
        #expect(readOnly.entries == third)
        let (reopened, reloaded) = try makeStore(state)
        defer { reopened.close() }
        #expect(reloaded.outcome == .current(generation: 3))
        #expect(reloaded.entries == third)
        try reopened.commit(first, at: CheckpointSamples.time)
        #expect(CheckpointStore.loadReadOnly(directory: state).outcome == .current(generation: 4))
    }

    @Test("nothing is written when the entries did not change")
    func unchanged() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let (store, _) = try makeStore(temporary.file("state"))
        defer { store.close() }
        let entries = CheckpointSamples.entries(count: 5, seed: 1)
        try store.commit(entries, at: CheckpointSamples.time)
        #expect(try store.commit(entries, at: CheckpointSamples.time.advanced(by: .seconds(5))) == .unchanged)
        #expect(store.counters.commitsWritten == 1)
        #expect(store.counters.commitsUnchanged == 1)
        store.close()
        // Also across a restart: the loaded checkpoint counts as the last write.
        let (reopened, _) = try makeStore(temporary.file("state"))
        defer { reopened.close() }
        #expect(try reopened.commit(entries) == .unchanged)
    }

    @Test("a damaged newest copy is detected and the previous generation is used", arguments: ["zeros", "truncated", "flipped", "empty"])
    func previousGeneration(damage: String) throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let (store, _) = try makeStore(state)
        let older = CheckpointSamples.entries(count: 40, seed: 1)
        let newer = CheckpointSamples.entries(count: 40, seed: 2)
        try store.commit(older, at: CheckpointSamples.time)   // generation 1 -> checkpoint.1
        try store.commit(newer, at: CheckpointSamples.time)   // generation 2 -> checkpoint.0
        store.close()
        let newest = state + "/checkpoint.0"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: newest)))
        switch damage {
        case "zeros": bytes = [UInt8](repeating: 0, count: bytes.count)
        case "truncated": bytes = Array(bytes[0..<(bytes.count / 2)])
        case "flipped": bytes[bytes.count - 3] ^= 0x10
        default: bytes = []
        }
        try Data(bytes).write(to: URL(fileURLWithPath: newest))

        #expect(CheckpointStore.loadReadOnly(directory: state).outcome == .recovered(generation: 1))
        let (logger, records) = RecordingLogHandler.make()
        let (reopened, loaded) = try CheckpointStore.open(configuration: CheckpointConfiguration(directory: state), logger: logger)
        defer { reopened.close() }
        #expect(loaded.outcome == .recovered(generation: 1))
        #expect(loaded.entries == older)
        #expect(loaded.problems.map(\.code) == [.corrupt])
        #expect(records.records.contains { $0.level >= .error && $0.message.contains("damaged") })
        #expect(FileManager.default.fileExists(atPath: newest + CheckpointStore.damagedSuffix))
        // The next commit goes to the damaged slot, never over the only good generation.
        try reopened.commit(newer, at: CheckpointSamples.time)
        #expect(reopened.durableGeneration == 2)
        #expect(CheckpointStore.loadReadOnly(directory: state).outcome == .current(generation: 2))
        #expect(CheckpointStore.loadReadOnly(directory: state).entries == newer)
    }

    @Test("with no usable copy the configured policy applies, loudly, and the agent can start", arguments: StartPosition.allCases)
    func unusable(policy: StartPosition) throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let (store, _) = try makeStore(state)
        try store.commit(CheckpointSamples.entries(count: 3, seed: 1), at: CheckpointSamples.time)
        try store.commit(CheckpointSamples.entries(count: 3, seed: 2), at: CheckpointSamples.time)
        store.close()
        for name in CheckpointStore.slotNames {
            try Data([UInt8](repeating: 0, count: 100)).write(to: URL(fileURLWithPath: state + "/" + name))
        }
        let (logger, records) = RecordingLogHandler.make()
        let (reopened, loaded) = try CheckpointStore.open(
            configuration: CheckpointConfiguration(directory: state, onCorruptCheckpoint: policy), logger: logger
        )
        #expect(loaded.outcome == .unusable(policy: policy))
        #expect(loaded.entries.isEmpty)
        #expect(loaded.problems.count == 2)
        #expect(loaded.startForUnknownFiles(default: .beginning) == policy)
        #expect(records.records.contains { $0.level == .critical && $0.metadata["policy"] == policy.rawValue })
        // It starts cleanly and writes again: no crash loop.
        let entries = CheckpointSamples.entries(count: 4, seed: 9)
        try reopened.commit(entries, at: CheckpointSamples.time)
        reopened.close()
        let (third, again) = try makeStore(state)
        defer { third.close() }
        #expect(again.outcome == .current(generation: 1))
        #expect(again.entries == entries)
    }

    @Test("a commit before load is refused (it could overwrite the newest generation)")
    func commitBeforeLoad() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let store = CheckpointStore(
            configuration: CheckpointConfiguration(directory: temporary.path), lock: nil, logger: CheckpointSamples.quietLogger
        )
        #expect {
            try store.commit([], at: CheckpointSamples.time)
        } throws: { error in
            (error as? CheckpointError)?.code == .notLoaded
        }
        _ = try store.load()
        try store.commit([], at: CheckpointSamples.time)
        #expect(CheckpointStore.loadReadOnly(directory: temporary.path).outcome == .current(generation: 1))
    }

    @Test("a leftover temporary file from a crash is ignored and removed")
    func leftoverTemporary() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let (store, _) = try makeStore(state)
        let entries = CheckpointSamples.entries(count: 3, seed: 1)
        try store.commit(entries, at: CheckpointSamples.time)
        store.close()
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: state + "/" + CheckpointStore.temporaryName))
        let (reopened, loaded) = try makeStore(state)
        defer { reopened.close() }
        #expect(loaded.outcome == .current(generation: 1))
        #expect(loaded.entries == entries)
        #expect(!FileManager.default.fileExists(atPath: state + "/" + CheckpointStore.temporaryName))
    }

    @Test("the state directory is created 0700 and a second agent gets an error naming the first")
    func lock() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("nested/state")
        let (store, _) = try makeStore(state)
        var info = stat()
        #expect(stat(state, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
        do {
            _ = try makeStore(state)
            Issue.record("a second store opened a locked state directory")
        } catch let error as CheckpointError {
            #expect(error.code == .stateDirectoryLocked)
            #expect(error.message.contains("pid \(getpid())"))
        }
        // The read-only load for `ferry status` works while the lock is held.
        #expect(CheckpointStore.loadReadOnly(directory: state).outcome == .fresh)
        store.close()
        let (second, _) = try makeStore(state)
        second.close()
        #expect(throws: CheckpointError.self) { try store.commit([], at: CheckpointSamples.time) }
    }

    @Test("an existing state directory open to others is tightened to 0700")
    func tightensMode() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        #expect(mkdir(state, 0o755) == 0)
        #expect(chmod(state, 0o755) == 0)
        let (store, _) = try makeStore(state)
        defer { store.close() }
        var info = stat()
        #expect(stat(state, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o700)
    }

    @Test("a state directory path that is a file is a clear error")
    func notADirectory() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let path = temporary.file("file")
        try Data([1]).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try makeStore(path)
        } throws: { error in
            (error as? CheckpointError)?.code == .stateDirectoryUnusable
        }
    }

    @Test("a checkpoint from a newer format is refused, not overwritten")
    func newerFormatRefused() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let state = temporary.file("state")
        let (store, _) = try makeStore(state)
        try store.commit(CheckpointSamples.entries(count: 2, seed: 1), at: CheckpointSamples.time)
        store.close()
        let path = state + "/checkpoint.1"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[8] = 9
        let crc = bytes.withUnsafeBytes { ferryCRC($0.prefix(48)) }
        withUnsafeBytes(of: crc.littleEndian) { for index in 0..<4 { bytes[48 + index] = $0[index] } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try makeStore(state)
        } throws: { error in
            (error as? CheckpointError)?.code == .unsupportedVersion
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == bytes.count)
    }

    @Test("100,000 entries stay small on disk and round-trip")
    func manyEntries() throws {
        let temporary = try TemporaryDirectory("ckpt-store")
        defer { temporary.remove() }
        let (store, _) = try makeStore(temporary.file("state"))
        defer { store.close() }
        let entries = CheckpointSamples.entries(count: 100_000, seed: 4)
        guard case .written(_, let bytes) = try store.commit(entries, at: CheckpointSamples.time) else {
            Issue.record("not written")
            return
        }
        #expect(bytes < 100 * 100_000, "\(bytes) bytes for 100,000 entries")
        #expect(CheckpointStore.loadReadOnly(directory: temporary.file("state")).entries == entries)
    }
}

import CCRC32C

func ferryCRC(_ bytes: UnsafeRawBufferPointer.SubSequence) -> UInt32 {
    let rebased = UnsafeRawBufferPointer(rebasing: bytes)
    return ferry_crc32c_extend(0, rebased.baseAddress, rebased.count)
}
