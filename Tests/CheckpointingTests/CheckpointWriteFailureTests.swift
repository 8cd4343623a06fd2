import Checkpointing
import FerryTestSupport
import Foundation
import Testing

/// Every step of a commit failing (ENOSPC, EIO, EROFS), writes cut short, and a full disk.
@Suite("Checkpoint write failures")
struct CheckpointWriteFailureTests {
    func open(_ directory: String, _ fileSystem: any CheckpointFileSystem, logger: Logger = CheckpointSamples.quietLogger) throws -> CheckpointStore {
        let store = CheckpointStore(
            configuration: CheckpointConfiguration(directory: directory), lock: nil, logger: logger, fileSystem: fileSystem
        )
        _ = try store.load()
        return store
    }

    @Test("a failure at each step of a commit is reported; the reload is the complete old or new state; a retry succeeds",
          arguments: [ENOSPC, EIO, EROFS])
    func failureAtEachStep(errno failure: Int32) throws {
        let expectedCode: CheckpointError.Code = failure == ENOSPC ? .noSpace : failure == EIO ? .ioFailure : .readOnlyFileSystem
        let old = CheckpointSamples.entries(count: 30, seed: 1)
        let new = CheckpointSamples.entries(count: 31, seed: 2)
        var step = 1
        var stepsOfACommit = 0
        while true {
            let temporary = try TemporaryDirectory("ckpt-fail")
            defer { temporary.remove() }
            let state = temporary.path
            let fileSystem = FaultInjectingFileSystem()
            let store = try open(state, fileSystem)
            try store.commit(old, at: CheckpointSamples.time)
            fileSystem.arm(failAt: step, errno: failure)
            do {
                try store.commit(new, at: CheckpointSamples.time)
                stepsOfACommit = fileSystem.operations.count
                #expect(fileSystem.failedOperation == nil)
                break
            } catch {
                #expect(error.code == expectedCode, "step \(step) (\(fileSystem.operations.last ?? ""))")
                #expect(error.errno == failure)
                #expect(store.counters.writeFailures == 1)
                #expect(store.counters.consecutiveWriteFailures == 1)
            }
            let failed = fileSystem.failedOperation ?? ""
            let renamed = fileSystem.operations.contains("rename") && failed != "rename"
            let reloaded = CheckpointStore.loadReadOnly(directory: state)
            #expect(reloaded.problems.isEmpty, "step \(step) \(failed)")
            #expect(reloaded.entries == (renamed ? new : old), "step \(step) \(failed): reload must be complete old or complete new")
            if !renamed {
                #expect(!FileManager.default.fileExists(atPath: state + "/" + CheckpointStore.temporaryName), "step \(step)")
            }
            // Retry with the failure gone.
            fileSystem.arm(failAt: nil, errno: 0)
            try store.commit(new, at: CheckpointSamples.time)
            #expect(store.counters.consecutiveWriteFailures == 0)
            #expect(CheckpointStore.loadReadOnly(directory: state).entries == new)
            #expect(CheckpointStore.loadReadOnly(directory: state).outcome == .current(generation: 2))
            step += 1
        }
        // open, write header, write payload, fsync, close, rename, open directory, fsync, close
        #expect(stepsOfACommit == 9)
        #expect(step == 10)
    }

    @Test("writes cut short are completed by the write loop")
    func shortWrites() throws {
        let temporary = try TemporaryDirectory("ckpt-fail")
        defer { temporary.remove() }
        let fileSystem = FaultInjectingFileSystem()
        fileSystem.maximumWrite = 7
        let store = try open(temporary.path, fileSystem)
        let entries = CheckpointSamples.entries(count: 40, seed: 3)
        try store.commit(entries, at: CheckpointSamples.time)
        #expect(fileSystem.operations.filter { $0 == "write" }.count > 100)
        #expect(CheckpointStore.loadReadOnly(directory: temporary.path).entries == entries)
    }

    @Test("disk full (injected ENOSPC): reported, old state intact, commits resume once space is back")
    func diskFullInjected() throws {
        let temporary = try TemporaryDirectory("ckpt-fail")
        defer { temporary.remove() }
        let fileSystem = FaultInjectingFileSystem()
        let (logger, records) = RecordingLogHandler.make()
        let store = try open(temporary.path, fileSystem, logger: logger)
        let old = CheckpointSamples.entries(count: 20, seed: 1)
        try store.commit(old, at: CheckpointSamples.time)

        // The agent's loop: schedule + store; the disk is full for the first three attempts.
        var schedule = CheckpointSchedule(interval: .milliseconds(100), maximumRetryDelay: .milliseconds(400))
        let start = ContinuousClock.now
        var now = start
        var attempts = 0
        var wakeUps: [Duration] = []
        let new = CheckpointSamples.entries(count: 20, seed: 2)
        var action = schedule.changed(at: now)
        while attempts < 10 {
            switch action {
            case .writeNow:
                attempts += 1
                fileSystem.arm(failAt: attempts <= 3 ? 2 : nil, errno: ENOSPC)
                do {
                    try store.commit(new, at: CheckpointSamples.time)
                    action = schedule.writeSucceeded(at: now)
                } catch {
                    #expect(error.code == .noSpace)
                    #expect(CheckpointStore.loadReadOnly(directory: temporary.path).entries == old)
                    action = schedule.writeFailed(at: now)
                }
            case .wakeAt(let instant):
                wakeUps.append(instant - now)
                now = instant
                action = schedule.deadlineReached(at: now)
            case .none:
                attempts = 10
            }
        }
        #expect(store.counters.writeFailures == 3)
        #expect(store.counters.commitsWritten == 2)
        #expect(wakeUps == [.milliseconds(100), .milliseconds(200), .milliseconds(400)])
        #expect(CheckpointStore.loadReadOnly(directory: temporary.path).entries == new)
        #expect(records.records.contains { $0.level == .error && $0.metadata["error.code"] == "no_space" })
        #expect(records.records.contains { $0.message.contains("recovered") })
    }

    @Test("disk full on a real 64 KiB tmpfs: ENOSPC reported, old state intact, commits resume once space is back",
          .enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func diskFullTmpfs() throws {
        let temporary = try TemporaryDirectory("ckpt-tmpfs")
        defer { temporary.remove() }
        let mountPoint = temporary.file("mnt")
        #expect(mkdir(mountPoint, 0o700) == 0)
        guard mount("tmpfs", mountPoint, "tmpfs", 0, "size=64k,mode=0700") == 0 else {
            Issue.record("mount tmpfs failed: errno \(errno)")
            return
        }
        defer { _ = umount2(mountPoint, Int32(MNT_DETACH)) }
        let state = mountPoint + "/state"
        let (store, _) = try CheckpointStore.open(configuration: CheckpointConfiguration(directory: state), logger: CheckpointSamples.quietLogger)
        defer { store.close() }
        let old = CheckpointSamples.entries(count: 100, seed: 1)
        try store.commit(old, at: CheckpointSamples.time)
        // Fill the filesystem.
        let filler = mountPoint + "/filler"
        let descriptor = Glibc.open(filler, O_WRONLY | O_CREAT, 0o600)
        #expect(descriptor >= 0)
        let chunk = [UInt8](repeating: 0x41, count: 4096)
        while chunk.withUnsafeBytes({ Glibc.write(descriptor, $0.baseAddress, $0.count) }) > 0 {}
        _ = Glibc.close(descriptor)
        let new = CheckpointSamples.entries(count: 150, seed: 2)
        #expect {
            try store.commit(new, at: CheckpointSamples.time)
        } throws: { error in
            (error as? CheckpointError)?.code == .noSpace
        }
        #expect(store.counters.writeFailures == 1)
        let reloaded = CheckpointStore.loadReadOnly(directory: state)
        #expect(reloaded.problems.isEmpty)
        #expect(reloaded.entries == old)
        #expect(!FileManager.default.fileExists(atPath: state + "/" + CheckpointStore.temporaryName))
        // Space comes back.
        #expect(unlink(filler) == 0)
        try store.commit(new, at: CheckpointSamples.time)
        #expect(CheckpointStore.loadReadOnly(directory: state).entries == new)
    }
}

import Logging
