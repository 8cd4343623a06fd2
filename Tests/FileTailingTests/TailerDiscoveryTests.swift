import FerryTestSupport
@testable import FileTailing
import Foundation
import Testing

/// Discovery, watching and their failure modes against real directories.
@Suite("Tailer discovery")
struct TailerDiscoveryTests {
    private static func makeDirectory(_ path: String) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @Test("** finds files in directories created or moved in after start")
    func recursive() throws {
        let harness = try TailHarness("tail-recursive", include: ["**/*.log"], before: { directory in
            try Self.makeDirectory(directory.file("a/b"))
            Files.append(directory.file("a/b/early.log"), "early\n")
        })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["early"] })
        try Self.makeDirectory(harness.file("x/y/z"))
        Files.append(harness.file("x/y/z/deep.log"), "deep\n")
        #expect(harness.collector.wait { Set($0.texts) == ["early", "deep"] })
        // A whole tree moved in.
        let outside = try TemporaryDirectory("tail-recursive-outside")
        defer { outside.remove() }
        try Self.makeDirectory(outside.file("tree/sub"))
        Files.append(outside.file("tree/sub/moved.log"), "moved\n")
        Files.rename(outside.file("tree"), harness.file("a/tree"))
        #expect(harness.collector.wait { Set($0.texts) == ["early", "deep", "moved"] })
        Files.append(harness.file("a/tree/sub/moved.log"), "more\n")
        #expect(harness.collector.wait { $0.texts.count == 4 })
        #expect(harness.tailer.counters.directoriesWatched >= 7)
    }

    @Test("exclude patterns leave files out, by name or by path")
    func excludes() throws {
        let harness = try TailHarness("tail-exclude", include: ["**/*.log"], configure: {
            $0.inputs[0].exclude = ["*-debug.log", $0.inputs[0].include[0].replacingOccurrences(of: "**/*.log", with: "skip/*.log")]
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        try Self.makeDirectory(harness.file("skip"))
        Files.append(harness.file("app-debug.log"), "no\n")
        Files.append(harness.file("skip/a.log"), "no\n")
        Files.append(harness.file("app.log"), "yes\n")
        #expect(harness.collector.wait { $0.texts == ["yes"] })
        usleep(100_000)
        #expect(harness.collector.texts == ["yes"])
    }

    @Test("a symbolic link is followed: the identity is the target's, and the target's changes are seen")
    func symlinkFollowed() throws {
        let outside = try TemporaryDirectory("tail-link-target")
        defer { outside.remove() }
        let target = outside.file("real.txt")
        Files.append(target, "one\n")
        let harness = try TailHarness("tail-link", before: { directory in
            #expect(symlink(target, directory.file("app.log")) == 0)
        })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["one"] })
        Files.append(target, "two\n")
        #expect(harness.collector.wait { $0.texts == ["one", "two"] })
        let opened = harness.collector.events(where: \.isOpened).first
        #expect(opened?.file?.identity.inode == Files.inode(target))
        #expect(opened?.file?.path == harness.file("app.log"))
    }

    @Test("symbolic link loops are reported once and not followed")
    func symlinkLoops() throws {
        let harness = try TailHarness("tail-loop", include: ["**/*.log"], configure: { $0.sweepIntervalMs = 100 }, before: { directory in
            #expect(symlink(directory.file("b.log"), directory.file("a.log")) == 0)
            #expect(symlink(directory.file("a.log"), directory.file("b.log")) == 0)
            try Self.makeDirectory(directory.file("sub"))
            #expect(symlink(directory.path, directory.file("sub/back")) == 0)
            Files.append(directory.file("sub/ok.log"), "fine\n")
        })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["fine"] })
        let tailer = harness.tailer
        #expect(harness.collector.wait { _ in tailer.counters.sweeps >= 3 })
        let loops = Set(harness.collector.events(where: \.isSymlinkLoop).map(\.kind))
        #expect(loops == [
            .symlinkLoop(path: harness.file("a.log")), .symlinkLoop(path: harness.file("b.log")),
            .symlinkLoop(path: harness.file("sub/back")),
        ])
        #expect(harness.collector.events(where: \.isSymlinkLoop).count == 3)
        #expect(harness.collector.texts == ["fine"])
    }

    @Test("dropping the file-system uid of one thread is real: EACCES there, not on other threads")
    func privilegeDropIsReal() throws {
        let directory = try TemporaryDirectory("tail-fsuid")
        defer { directory.remove() }
        let path = directory.file("secret.log")
        Files.append(path, "x\n")
        chmod(path, 0o600)
        let denied = ThreadCredentials.onDroppedThread { () -> Int32 in
            let descriptor = open(path, O_RDONLY)
            if descriptor >= 0 {
                close(descriptor)
                return 0
            }
            return errno
        }
        #expect(denied == EACCES)
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0 || !ThreadCredentials.isRoot)
        if descriptor >= 0 { close(descriptor) }
    }

    @Test("permission denied is reported (for real, with dropped privileges) and retried once fixed")
    func permissionDenied() throws {
        let harness = try TailHarness(
            "tail-permission", threadSetUp: { ThreadCredentials.dropToNobody() },
            before: { directory in
                Files.append(directory.file("secret.log"), "hidden-1\nhidden-2\n")
                chmod(directory.file("secret.log"), 0o600)
                Files.append(directory.file("open.log"), "visible\n")
            })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["visible"] })
        #expect(harness.collector.wait { $0.events(where: \.isPermissionDenied).count == 1 })
        let event = harness.collector.events(where: \.isPermissionDenied).first
        #expect(event?.kind == .permissionDenied(path: harness.file("secret.log"), errno: EACCES))
        #expect(harness.tailer.counters.permissionErrors == 1)
        chmod(harness.file("secret.log"), 0o644)
        #expect(harness.collector.wait { Set($0.texts) == ["visible", "hidden-1", "hidden-2"] })
    }

    @Test("inotify overflow (many events at once) forces a rescan; every line arrives exactly once")
    func inotifyOverflow() throws {
        let harness = try TailHarness("tail-overflow")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("a.log"), "a-start\n")
        Files.append(harness.file("b.log"), "b-start\n")
        #expect(harness.collector.wait { $0.lines.count == 2 })
        harness.tailer.pause()
        let tailer = harness.tailer
        #expect(harness.collector.wait { _ in tailer.counters.paused })
        // Alternating names defeat the kernel's merging of identical events: 20,000 records > 16,384.
        let a = open(harness.file("a.log"), O_WRONLY | O_APPEND)
        let b = open(harness.file("b.log"), O_WRONLY | O_APPEND)
        for index in 0..<10_000 {
            _ = "a-\(index)\n".withCString { write(a, $0, strlen($0)) }
            _ = "b-\(index)\n".withCString { write(b, $0, strlen($0)) }
        }
        close(a)
        close(b)
        Files.append(harness.file("c.log"), "c-new\n")
        harness.tailer.resume()
        #expect(harness.collector.wait(seconds: 20) { $0.lines.count == 20_003 })
        #expect(harness.tailer.counters.overflowRescans >= 1)
        #expect(harness.collector.events(where: \.isOverflow).count >= 1)
        let texts = harness.collector.texts
        #expect(Set(texts).count == texts.count)
        let aLines = harness.collector.lines.filter { $0.path.hasSuffix("a.log") }.map(\.text)
        #expect(aLines == ["a-start"] + (0..<10_000).map { "a-\($0)" })
    }

    @Test("when the watch limit is reached, polling takes over with a warning event")
    func pollingFallback() throws {
        let harness = try TailHarness(
            "tail-fallback", configure: { $0.pollIntervalMs = 50 }, simulatedWatchLimit: 0,
            before: { directory in Files.append(directory.file("a.log"), "a-0\n") })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["a-0"] })
        #expect(harness.collector.events(where: \.isPollingFallback).map(\.kind) == [
            .pollingFallback(reason: "inotify watch limit reached", errno: ENOSPC),
        ])
        #expect(harness.tailer.counters.polling)
        Files.append(harness.file("a.log"), "a-1\n")
        Files.append(harness.file("b.log"), "b-0\n")
        #expect(harness.collector.wait { Set($0.texts) == ["a-0", "a-1", "b-0"] })
        Files.rename(harness.file("a.log"), harness.file("a.log.1"))
        Files.append(harness.file("a.log"), "a-new\n")
        #expect(harness.collector.wait { $0.texts.count == 4 })
        #expect(harness.collector.texts.last == "a-new")
    }

    @Test("watch_method poll works without inotify")
    func pollOnly() throws {
        let harness = try TailHarness("tail-poll", configure: {
            $0.watchMethod = .poll
            $0.pollIntervalMs = 50
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("a.log"), "one\n")
        #expect(harness.collector.wait { $0.texts == ["one"] })
        Files.append(harness.file("a.log"), "two\n")
        #expect(harness.collector.wait { $0.texts == ["one", "two"] })
        #expect(harness.tailer.counters.directoriesWatched == 0)
        #expect(harness.collector.events(where: \.isPollingFallback).isEmpty)
    }

    @Test("periodic sweeps re-examine every file without delivering anything twice")
    func sweepsDoNotDuplicate() throws {
        let harness = try TailHarness("tail-sweep", configure: { $0.sweepIntervalMs = 100 })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let tailer = harness.tailer
        let sweepsBefore = tailer.counters.sweeps
        Files.append(harness.file("a.log"), "one\n")
        #expect(harness.collector.wait { $0.texts == ["one"] })
        #expect(harness.collector.wait { _ in tailer.counters.sweeps >= sweepsBefore + 2 })
        #expect(harness.collector.texts == ["one"])  // the sweep does not read anything twice
    }
}
