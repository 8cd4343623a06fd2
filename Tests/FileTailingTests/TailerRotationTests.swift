import FerryTestSupport
@testable import FileTailing
import Foundation
import Testing

/// Rotation and its cousins against real files, with the tailer running.
@Suite("Tailer rotation")
struct TailerRotationTests {
    @Test("rename within the patterns: same file id, no line read twice, the new file from its start")
    func renameWithinPatterns() throws {
        let harness = try TailHarness("tail-rename")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("a.log"), TailHarness.lines("old", 0..<5))
        #expect(harness.collector.wait { $0.lines.count == 5 })
        Files.rename(harness.file("a.log"), harness.file("a-1.log"))
        Files.append(harness.file("a-1.log"), TailHarness.lines("old", 5..<7))
        Files.append(harness.file("a.log"), TailHarness.lines("new", 0..<3))
        #expect(harness.collector.wait { $0.lines.count == 10 })
        let texts = harness.collector.texts
        #expect(Set(texts).count == 10)
        let oldID = harness.collector.lines[0].file
        #expect(harness.collector.lines(of: oldID).map(\.text) == (0..<7).map { "old-\($0)" })
        #expect(harness.collector.events(where: \.isRenamed).first?.file?.id == oldID)
        let new = harness.collector.lines.filter { $0.text.hasPrefix("new") }
        #expect(new.first?.offset == 0)
        #expect(new.allSatisfy { $0.file != oldID })
    }

    @Test("rename-and-create: the old descriptor is read to its end, then released; nothing lost")
    func rotateCreateWithWriterOnOldDescriptor() throws {
        let harness = try TailHarness("tail-rotate")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("app.log")
        let writer = open(path, O_WRONLY | O_APPEND | O_CREAT, 0o644)
        defer { close(writer) }
        func write(_ text: String) { _ = text.withCString { Glibc.write(writer, $0, strlen($0)) } }
        write(TailHarness.lines("a", 0..<3))
        #expect(harness.collector.wait { $0.lines.count == 3 })
        Files.rename(path, harness.file("app.log.1"))
        write(TailHarness.lines("a", 3..<6))  // the application has not reopened yet
        Files.append(path, TailHarness.lines("b", 0..<2))
        #expect(harness.collector.wait { $0.lines.count == 8 })
        #expect(harness.collector.wait { $0.events(where: \.isReleased).count == 1 })
        let oldID = harness.collector.lines[0].file
        #expect(harness.collector.lines(of: oldID).map(\.text) == (0..<6).map { "a-\($0)" })
        let moved = harness.collector.events(where: \.isMovedOut)
        #expect(moved.first?.kind == .movedOut(from: path, to: harness.file("app.log.1")))
        let released = harness.collector.events(where: \.isReleased)
        #expect(released.first?.kind == .released(reason: .movedOut, finalOffset: 24, lastKnownSize: 24))
    }

    @Test("copytruncate: size below the offset restarts at 0 and counts the event")
    func copyTruncate() throws {
        let harness = try TailHarness("tail-copytruncate")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("app.log")
        Files.append(path, TailHarness.lines("before", 0..<4))
        #expect(harness.collector.wait { $0.lines.count == 4 })
        Files.truncate(path)
        #expect(harness.collector.wait { $0.events(where: \.isTruncated).count == 1 })
        Files.append(path, TailHarness.lines("after", 0..<2))
        #expect(harness.collector.wait { $0.lines.count == 6 })
        let after = harness.collector.lines.suffix(2)
        #expect(after.map(\.text) == ["after-0", "after-1"])
        #expect(after.first?.offset == 0)
        #expect(harness.tailer.counters.truncations == 1)
        #expect(harness.collector.events(where: \.isTruncated).first?.kind
            == .truncated(readOffset: 36, unreadBytes: 0, newSize: 0))
    }

    @Test("truncated and refilled past the old offset before the tailer looks: the fingerprint catches it")
    func truncateAndRefill() throws {
        let harness = try TailHarness("tail-refill")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("app.log")
        Files.append(path, TailHarness.lines("first", 0..<2))
        #expect(harness.collector.wait { $0.lines.count == 2 })
        harness.tailer.pause()
        Files.truncate(path)
        Files.append(path, TailHarness.lines("second", 0..<4))
        harness.tailer.resume()
        #expect(harness.collector.wait { $0.lines.count == 6 })
        #expect(harness.collector.texts.suffix(4) == (0..<4).map { "second-\($0)" })
        #expect(harness.tailer.counters.truncations == 1)
    }

    @Test("deleted while open: what it holds is drained, then its descriptor released")
    func deletedWhileOpen() throws {
        let harness = try TailHarness("tail-delete")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("app.log")
        Files.append(path, TailHarness.lines("x", 0..<2))
        #expect(harness.collector.wait { $0.lines.count == 2 })
        harness.tailer.pause()
        Files.append(path, TailHarness.lines("x", 2..<5))
        Files.remove(path)
        harness.tailer.resume()
        #expect(harness.collector.wait { $0.events(where: \.isReleased).count == 1 })
        #expect(harness.collector.texts == (0..<5).map { "x-\($0)" })
        #expect(harness.collector.events(where: \.isDeleted).count == 1)
        #expect(harness.collector.events(where: \.isReleased).first?.kind
            == .released(reason: .deleted, finalOffset: 20, lastKnownSize: 20))
        #expect(harness.tailer.counters.filesOpen == 0)
    }

    @Test("a file replaced by one with identical first bytes is read again from its start")
    func replacedWithIdenticalFirstBytes() throws {
        let harness = try TailHarness("tail-identical")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("app.log")
        Files.append(path, "HEADER\nline-1\n")
        #expect(harness.collector.wait { $0.lines.count == 2 })
        let staging = harness.file("staging.tmp")
        Files.append(staging, "HEADER\nline-1\nline-2\n")
        Files.rename(staging, path)
        #expect(harness.collector.wait { $0.lines.count == 5 })
        #expect(harness.collector.texts == ["HEADER", "line-1", "HEADER", "line-1", "line-2"])
        let ids = Set(harness.collector.lines.map(\.file))
        #expect(ids.count == 2)
        #expect(harness.collector.wait { $0.events(where: \.isReleased).count == 1 })
    }

    /// Deletes `path` (closed by the tailer) and takes its inode back for a new file with the same first
    /// 1 KiB, while the tailer is paused. Returns whether the inode was reused.
    private static func replaceReusingInode(_ harness: TailHarness, _ path: String, header: String) -> Bool {
        harness.tailer.pause()
        defer { harness.tailer.resume() }
        let oldInode = Files.inode(path)
        Files.remove(path)
        // Take the freed inode back: create files until one gets it (ext4 hands it out again quickly).
        for attempt in 0..<200 {
            let candidate = harness.file("candidate-\(attempt).tmp")
            Files.append(candidate, header + "new-tail-longer\n")
            if Files.inode(candidate) == oldInode {
                Files.rename(candidate, path)
                return true
            }
        }
        Files.append(path, header + "new-tail-longer\n")
        return false
    }

    /// Runs an inode-reuse scenario until the file system hands the inode back (other tests running in
    /// parallel may take it first), then checks it. Returns whether the inode was reused in some attempt.
    private static func withInodeReuse(
        polling: Bool, _ check: (TailHarness) -> Void
    ) throws -> Bool {
        for _ in 0..<5 {
            let harness = try TailHarness("tail-inode", configure: {
                $0.closeInactiveMs = 50
                if polling {
                    $0.watchMethod = .poll
                    $0.pollIntervalMs = 50
                }
            })
            defer { harness.finish() }
            #expect(harness.waitForStart())
            let path = harness.file("app.log")
            let header = String(repeating: "H", count: 1100) + "\n"
            Files.append(path, header + "old-tail\n")
            #expect(harness.collector.wait { $0.lines.count == 2 })
            let tailer = harness.tailer
            #expect(harness.collector.wait { _ in tailer.counters.filesOpen == 0 })
            let reused = Self.replaceReusingInode(harness, path, header: header)
            #expect(harness.collector.wait { $0.texts.contains("new-tail-longer") })
            let lines = harness.collector.lines
            // Whatever happened to the inode, the new file is read once, from its start.
            #expect(lines.map(\.text).filter { $0 == "new-tail-longer" }.count == 1)
            #expect(lines.filter { $0.text.hasPrefix("HHH") }.count == 2)
            #expect(lines.last?.offset == 1101)
            if reused {
                check(harness)
                return true
            }
        }
        return false
    }

    @Test("inode reuse while closed, identical first 1 KiB, deletion seen: the old file is let go, the new read from 0")
    func inodeReuseSeen() throws {
        let reused = try Self.withInodeReuse(polling: false) { harness in
            #expect(Set(harness.collector.lines.map(\.file)).count == 2)
            #expect(harness.collector.events(where: \.isReleased).map(\.kind) == [
                .released(reason: .vanished, finalOffset: 1110, lastKnownSize: 1110),
            ])
        }
        #expect(reused, "the file system never handed the inode back in 5 attempts")
    }

    @Test("inode reuse while closed, identical first 1 KiB, deletion unseen (polling): the offset marker catches it")
    func inodeReuseUnseen() throws {
        // Same inode, same path, same first 1 KiB, no deletion seen: only the marker of the bytes before the
        // offset differs. Without it the new file would be read on from offset 1110, in the middle of a line.
        let reused = try Self.withInodeReuse(polling: true) { harness in
            #expect(harness.collector.events(where: \.isTruncated).map(\.kind) == [
                .truncated(readOffset: 1110, unreadBytes: 0, newSize: 1117),
            ])
        }
        #expect(reused, "the file system never handed the inode back in 5 attempts")
    }

    @Test("a file that grows from 0 bytes is tracked; its fingerprint grows with it")
    func growsFromZero() throws {
        let harness = try TailHarness("tail-zero")
        defer { harness.finish() }
        let path = harness.file("empty.log")
        Files.append(path, [])
        #expect(harness.waitForStart())
        #expect(harness.collector.wait { $0.events(where: \.isOpened).count == 1 })
        #expect(harness.collector.events(where: \.isOpened).first?.file?.identity.fingerprint.length == 0)
        Files.append(path, "a\n")
        #expect(harness.collector.wait { $0.texts == ["a"] })
        Files.append(path, "bcd\n")
        #expect(harness.collector.wait { $0.texts == ["a", "bcd"] })
        #expect(harness.collector.lines.map(\.fingerprintLength) == [2, 6])
        #expect(harness.tailer.counters.filesWatched == 1)
    }

    @Test("a watched directory deleted and recreated is watched again")
    func directoryRecreated() throws {
        let harness = try TailHarness("tail-dir", include: ["logs/*.log"], before: { directory in
            try FileManager.default.createDirectory(atPath: directory.file("logs"), withIntermediateDirectories: true)
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("logs/a.log"), "one\n")
        #expect(harness.collector.wait { $0.texts == ["one"] })
        try FileManager.default.removeItem(atPath: harness.file("logs"))
        #expect(harness.collector.wait { $0.events(where: \.isReleased).count == 1 })
        try FileManager.default.createDirectory(atPath: harness.file("logs"), withIntermediateDirectories: true)
        Files.append(harness.file("logs/a.log"), "two\n")
        #expect(harness.collector.wait { $0.texts == ["one", "two"] })
        // And once more.
        try FileManager.default.removeItem(atPath: harness.file("logs"))
        usleep(50_000)
        try FileManager.default.createDirectory(atPath: harness.file("logs"), withIntermediateDirectories: true)
        Files.append(harness.file("logs/b.log"), "three\n")
        #expect(harness.collector.wait { $0.texts == ["one", "two", "three"] })
    }
}
