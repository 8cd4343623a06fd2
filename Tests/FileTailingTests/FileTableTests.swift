@testable import FileTailing
import Glibc
import Testing

/// Scripts of "event -> expected actions" for the file table, with no I/O and no clock.
@Suite("File table")
struct FileTableTests {
    private static func table(
        maxOpen: Int = 8, closeInactiveMs: Int = 1000, startAt: StartAt = .beginning, partialMs: Int? = nil
    ) -> FileTable {
        FileTable(settings: FileTable.Settings(TailerConfiguration(
            inputs: [TailInput(name: "in", include: ["/d/*.log"], startAt: startAt, partialLineTimeoutMs: partialMs)],
            maxOpenFiles: maxOpen, closeInactiveMs: closeInactiveMs)))
    }

    private static func status(_ inode: UInt64, size: Int64, links: UInt64 = 1) -> FileStatus {
        FileStatus(device: 1, inode: inode, size: size, linkCount: links)
    }

    private static func identity(_ inode: UInt64, _ hash: UInt64 = 7, length: Int = 10) -> FileIdentity {
        FileIdentity(device: 1, inode: inode, fingerprint: FileFingerprint(length: length, hash: hash))
    }

    private static func events(_ actions: [TableAction]) -> [TailEvent.Kind] {
        actions.compactMap { if case .emit(let event) = $0 { event.kind } else { nil } }
    }

    /// Observes and opens a file; returns its id.
    private static func discover(
        _ table: inout FileTable, _ path: String, inode: UInt64, size: Int64, origin: ObservationOrigin = .event,
        decision: StartDecision = .useStartAtRule, boundary: Int64 = 0
    ) -> TailedFileID {
        let actions = table.observe(path: path, input: 0, status: status(inode, size: size), origin: origin, now: 0)
        guard case .open(let id) = actions.last else {
            Issue.record("expected an open action, got \(actions)")
            return TailedFileID(0)
        }
        _ = table.opened(
            id, status: status(inode, size: size), identity: identity(inode), decision: decision,
            endBoundary: boundary, now: 0)
        return id
    }

    /// Reads file `id` to `size` (at end of file).
    private static func readAll(_ table: inout FileTable, _ id: TailedFileID, size: Int64, now: Int64 = 0)
        -> [TableAction]
    {
        _ = table.nextReady()
        let file = table.file(id)!
        return table.readCompleted(
            id, state: FramerState(offset: size), atEndOfFile: true,
            status: status(file.identity.inode, size: size), now: now)
    }

    @Test("a new file is opened, announced and queued for reading from 0")
    func newFile() {
        var table = Self.table()
        let actions = table.observe(path: "/d/a.log", input: 0, status: Self.status(10, size: 5), origin: .event, now: 0)
        #expect(actions == [.open(TailedFileID(1))])
        let opened = table.opened(
            TailedFileID(1), status: Self.status(10, size: 5), identity: Self.identity(10), decision: .useStartAtRule,
            endBoundary: 3, now: 0)
        #expect(Self.events(opened) == [.opened(startOffset: 0, foundByInitialScan: false)])
        #expect(table.nextReady() == TailedFileID(1))
        #expect(table.counters.filesDiscovered == 1)
    }

    @Test("start_at end applies to initial-scan files only, at the last line boundary")
    func startAtEnd() {
        var table = Self.table(startAt: .end)
        let initial = Self.discover(&table, "/d/a.log", inode: 10, size: 50, origin: .initialScan, boundary: 42)
        #expect(table.file(initial)?.framer.lineStart == 42)
        let later = Self.discover(&table, "/d/b.log", inode: 11, size: 50, origin: .event, boundary: 42)
        #expect(table.file(later)?.framer.lineStart == 0)
        let hooked = Self.discover(&table, "/d/c.log", inode: 12, size: 50, origin: .initialScan, decision: .offset(7))
        #expect(table.file(hooked)?.framer.lineStart == 7)
    }

    @Test("a start offset past the end is reported as a truncation and reading starts at 0")
    func startPastEnd() {
        var table = Self.table()
        _ = table.observe(path: "/d/a.log", input: 0, status: Self.status(10, size: 5), origin: .event, now: 0)
        let actions = table.opened(
            TailedFileID(1), status: Self.status(10, size: 5), identity: Self.identity(10), decision: .offset(99),
            endBoundary: 0, now: 0)
        #expect(Self.events(actions) == [
            .opened(startOffset: 99, foundByInitialScan: false), .truncated(readOffset: 99, unreadBytes: 0, newSize: 5),
        ])
        #expect(table.file(TailedFileID(1))?.framer.lineStart == 0)
    }

    @Test("a rename within the patterns keeps the file and its offset")
    func renameWithin() {
        var table = Self.table()
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        let actions = table.observe(path: "/d/a.1.log", input: 0, status: Self.status(10, size: 5), origin: .event, now: 1)
        table.pathMissing("/d/a.log")
        let resolved = table.endOfBatch(now: 1)
        #expect(Self.events(actions) == [.renamed(from: "/d/a.log", to: "/d/a.1.log")])
        #expect(resolved.isEmpty)
        #expect(table.file(id)?.path == "/d/a.1.log")
        #expect(table.file(id)?.framer.lineStart == 5)
        #expect(table.counters.rotations == 1)
    }

    @Test("rename-and-create: the old file drains and is released after close_inactive_ms, the new one starts at 0")
    func rotateCreate() {
        var table = Self.table(closeInactiveMs: 100)
        let old = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, old, size: 5)
        // Batch: a.log -> a.log.1 (out of the patterns), new a.log.
        let moved = table.observe(path: "/d/a.log.1", input: nil, status: Self.status(10, size: 8), origin: .event, now: 10)
        let created = table.observe(path: "/d/a.log", input: 0, status: Self.status(11, size: 0), origin: .event, now: 10)
        #expect(Self.events(moved) == [.movedOut(from: "/d/a.log", to: "/d/a.log.1")])
        #expect(created == [.open(TailedFileID(2))])
        #expect(table.endOfBatch(now: 10).isEmpty)
        // The old file grew (the writer still had it open): it is read, then idles.
        #expect(table.nextReady() == old)
        _ = table.readCompleted(old, state: FramerState(offset: 8), atEndOfFile: true, status: Self.status(10, size: 8), now: 20)
        _ = table.tick(now: 50, pollAll: false)
        #expect(table.nextReady() == old)  // polled: no watch may cover it any more
        _ = table.readCompleted(old, state: FramerState(offset: 8), atEndOfFile: true, status: Self.status(10, size: 8), now: 60)
        let release = table.tick(now: 200, pollAll: false)
        #expect(release.contains(.release(old, .movedOut, flushPartial: true)))
        let released = table.released(old, reason: .movedOut, now: 200)
        #expect(Self.events(released) == [.released(reason: .movedOut, finalOffset: 8, lastKnownSize: 8)])
        #expect(table.file(old) == nil)
    }

    @Test("a vanished path of an open file is checked: deleted (links 0) drains then releases")
    func deletedWhileOpen() {
        var table = Self.table()
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        table.pathMissing("/d/a.log")
        #expect(table.endOfBatch(now: 1) == [.check(id)])
        let checked = table.descriptorChecked(id, status: Self.status(10, size: 9, links: 0), fingerprintMatches: true, now: 1)
        #expect(Self.events(checked) == [.deleted])
        #expect(table.nextReady() == id)
        let done = table.readCompleted(id, state: FramerState(offset: 9), atEndOfFile: true, status: Self.status(10, size: 9, links: 0), now: 2)
        #expect(done == [.release(id, .deleted, flushPartial: true)])
        #expect(Self.events(table.released(id, reason: .deleted, now: 2)) == [
            .released(reason: .deleted, finalOffset: 9, lastKnownSize: 9),
        ])
        #expect(table.counters.releasedWithUnreadBytes == 0)
    }

    @Test("a vanished path of an open file still linked elsewhere is a move out of sight")
    func movedOutOfSight() {
        var table = Self.table()
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        table.pathMissing("/d/a.log")
        #expect(table.endOfBatch(now: 1) == [.check(id)])
        let checked = table.descriptorChecked(id, status: Self.status(10, size: 5), fingerprintMatches: true, now: 1)
        #expect(Self.events(checked) == [.movedOut(from: "/d/a.log", to: nil)])
    }

    @Test("a file shrinking below the read offset is a truncation: restart at 0, count unread bytes")
    func truncation() {
        var table = Self.table()
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 100)
        _ = table.nextReady()
        var state = FramerState(offset: 80)
        state.scannedTo = 90
        let actions = table.readCompleted(id, state: state, atEndOfFile: true, status: Self.status(10, size: 3), now: 1)
        #expect(Self.events(actions) == [.truncated(readOffset: 80, unreadBytes: 20, newSize: 3)])
        #expect(table.file(id)?.framer == FramerState(offset: 0))
        #expect(table.counters.truncations == 1)
        #expect(table.counters.truncatedUnreadBytes == 20)
        #expect(table.nextReady() == id)
    }

    @Test("first bytes rewritten in place (fingerprint mismatch) is a truncation too")
    func rewritten() {
        var table = Self.table()
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 100)
        _ = Self.readAll(&table, id, size: 100)
        let actions = table.descriptorChecked(id, status: Self.status(10, size: 150), fingerprintMatches: false, now: 1)
        #expect(Self.events(actions) == [.truncated(readOffset: 100, unreadBytes: 0, newSize: 150)])
    }

    @Test("inode reuse: a closed file whose inode now holds other bytes is replaced, the path looked at afresh")
    func inodeReuse() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        #expect(table.tick(now: 100, pollAll: false) == [.close(id)])
        table.closed(id, marker: CloseMarker(offset: 5, length: 5, hash: 1))
        // Same inode at the same path after an unlink of that path, different size: reopen and verify.
        let wake = table.observe(
            path: "/d/a.log", input: 0, status: Self.status(10, size: 9), origin: .event, now: 200, unlinked: true)
        #expect(wake == [.reopen(id)])
        let reopened = table.reopened(id, status: Self.status(10, size: 9), sameContent: false, now: 200)
        #expect(reopened == [.release(id, .replaced, flushPartial: false), .probe("/d/a.log")])
        _ = table.released(id, reason: .replaced, now: 200)
        let fresh = table.observe(path: "/d/a.log", input: 0, status: Self.status(10, size: 9), origin: .event, now: 200)
        #expect(fresh == [.open(TailedFileID(2))])
    }

    @Test("a file replaced at its path while open (new inode) is a new file; the old one is checked")
    func replacedWhileOpen() {
        var table = Self.table()
        let old = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        let actions = table.observe(path: "/d/a.log", input: 0, status: Self.status(11, size: 7), origin: .event, now: 1)
        #expect(actions == [.open(TailedFileID(2))])
        #expect(table.endOfBatch(now: 1) == [.check(old)])
    }

    @Test("max_open_files: a file waits for a descriptor; an idle file hands its own over")
    func descriptorBudget() {
        var table = Self.table(maxOpen: 2)
        let a = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        let b = Self.discover(&table, "/d/b.log", inode: 11, size: 5)
        // Neither is idle yet: c waits.
        #expect(table.observe(path: "/d/c.log", input: 0, status: Self.status(12, size: 5), origin: .event, now: 0).isEmpty)
        // a reaches end of file and idles: its descriptor goes to c at once.
        _ = table.nextReady()
        let idle = table.readCompleted(a, state: FramerState(offset: 5), atEndOfFile: true, status: Self.status(10, size: 5), now: 1)
        #expect(idle == [.close(a), .open(TailedFileID(3))])
        _ = table.opened(TailedFileID(3), status: Self.status(12, size: 5), identity: Self.identity(12), decision: .useStartAtRule, endBoundary: 0, now: 1)
        _ = table.nextReady()
        _ = table.readCompleted(b, state: FramerState(offset: 5), atEndOfFile: false, status: nil, now: 1)
        // b and c are busy: d waits.
        #expect(table.observe(path: "/d/d.log", input: 0, status: Self.status(13, size: 5), origin: .event, now: 2).isEmpty)
        #expect(table.descriptorsInUse == 2)
        // A released file hands its descriptor to the waiting one.
        let freed = table.released(b, reason: .deleted, now: 3)
        #expect(freed.contains(.open(TailedFileID(4))))
        #expect(table.descriptorsInUse == 2)
        // a changes while closed: it waits for a descriptor, reopened (not opened) when one frees up.
        #expect(table.modified(a, now: 4).isEmpty)
        _ = table.opened(TailedFileID(4), status: Self.status(13, size: 5), identity: Self.identity(13), decision: .useStartAtRule, endBoundary: 0, now: 4)
        _ = table.nextReady()
        _ = table.nextReady()
        let handed = table.readCompleted(TailedFileID(3), state: FramerState(offset: 5), atEndOfFile: true, status: Self.status(12, size: 5), now: 5)
        #expect(handed == [.close(TailedFileID(3)), .reopen(a)])
    }

    @Test("permission denied is reported once and retried when attributes change")
    func permission() {
        var table = Self.table()
        _ = table.observe(path: "/d/a.log", input: 0, status: Self.status(10, size: 5), origin: .event, now: 0)
        let failed = table.openFailed(TailedFileID(1), errno: EACCES, now: 0)
        #expect(Self.events(failed) == [.permissionDenied(path: "/d/a.log", errno: EACCES)])
        #expect(table.descriptorsInUse == 0)
        #expect(table.attributesChanged("/d/a.log") == [.open(TailedFileID(1))])
        #expect(table.openFailed(TailedFileID(1), errno: EACCES, now: 1).isEmpty)  // not reported twice
        #expect(table.retryBlocked() == [.open(TailedFileID(1))])
        #expect(table.counters.permissionErrors == 1)
    }

    @Test("a symbolic link loop is reported once per path until the path changes")
    func loops() {
        var table = Self.table()
        #expect(Self.events(table.symlinkLoop("/d/a.log")) == [.symlinkLoop(path: "/d/a.log")])
        #expect(table.symlinkLoop("/d/a.log").isEmpty)
        table.pathMissing("/d/a.log")
        #expect(table.symlinkLoop("/d/a.log").count == 1)
    }

    @Test("a partial line is flushed after partial_line_timeout_ms at end of file")
    func partialTimeout() {
        var table = Self.table(closeInactiveMs: 100_000, partialMs: 50)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = table.nextReady()
        var state = FramerState(offset: 0)
        state.scannedTo = 5
        _ = table.readCompleted(id, state: state, atEndOfFile: true, status: Self.status(10, size: 5), now: 100)
        #expect(table.tick(now: 120, pollAll: false).isEmpty)
        #expect(table.tick(now: 150, pollAll: false) == [.flushPartial(id)])
    }

    @Test("other bytes on the same inode of a closed file, with no unlink seen: a truncation (copytruncate)")
    func truncatedWhileClosed() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 50)
        _ = Self.readAll(&table, id, size: 50)
        #expect(table.tick(now: 100, pollAll: false) == [.close(id)])
        #expect(table.observe(path: "/d/a.log", input: 0, status: Self.status(10, size: 20), origin: .event, now: 200)
            == [.reopen(id)])
        let reopened = table.reopened(id, status: Self.status(10, size: 20), sameContent: false, now: 200)
        #expect(Self.events(reopened) == [.truncated(readOffset: 50, unreadBytes: 0, newSize: 20)])
        #expect(table.file(id)?.framer == FramerState(offset: 0))
    }

    @Test("a closed file deleted (inotify said so) is released at once, with what was and was not read")
    func deletedWhileClosed() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        table.pathMissing("/d/a.log", deleted: true)
        #expect(table.endOfBatch(now: 200) == [.release(id, .vanished, flushPartial: false)])
        #expect(Self.events(table.released(id, reason: .vanished, now: 200)) == [
            .released(reason: .vanished, finalOffset: 5, lastKnownSize: 5),
        ])
    }

    @Test("a closed file missing from a sweep waits for a rename; found under a new name it is reopened")
    func detachedThenFound() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        table.pathMissing("/d/a.log")
        #expect(table.endOfBatch(now: 200).isEmpty)
        #expect(table.tick(now: 300, pollAll: false).isEmpty)
        // The rename out of the patterns is processed after the sweep: reopen and verify (the inode could
        // be another file's by now), then announce the move, drain, release.
        let found = table.observe(path: "/d/a.log.1", input: nil, status: Self.status(10, size: 9), origin: .event, now: 400)
        #expect(found == [.reopen(id)])
        #expect(table.detached.isEmpty)
        let reopened = table.reopened(id, status: Self.status(10, size: 9), sameContent: true, now: 400)
        #expect(Self.events(reopened) == [.movedOut(from: "/d/a.log", to: "/d/a.log.1")])
        #expect(table.nextReady() == id)
    }

    @Test("a closed file seen under a new name whose content does not verify is another file (inode reuse)")
    func renamedButReplaced() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        #expect(table.observe(path: "/d/b.log", input: 0, status: Self.status(10, size: 3), origin: .sweep, now: 200)
            == [.reopen(id)])
        let reopened = table.reopened(id, status: Self.status(10, size: 3), sameContent: false, now: 200)
        #expect(reopened == [.release(id, .replaced, flushPartial: false), .probe("/d/b.log")])
        #expect(table.file(id)?.path == "/d/a.log")
        #expect(table.byPath["/d/b.log"] == nil)
    }

    @Test("a reopen landing on another inode (path changed hands) keeps the old file waiting for its rename")
    func reopenLandsElsewhere() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        #expect(table.pathModified("/d/a.log", now: 150) == [.reopen(id)])
        let reopened = table.reopened(id, status: Self.status(11, size: 3), sameContent: false, now: 150)
        #expect(reopened == [.discard(id), .probe("/d/a.log")])
        #expect(table.detached == [id])
        #expect(table.descriptorsInUse == 0)
        // The queued rename arrives: the old file is found, verified, drained.
        #expect(table.observe(path: "/d/a.log.1", input: nil, status: Self.status(10, size: 9), origin: .event, now: 160)
            == [.reopen(id)])
    }

    @Test("a closed file missing and never found again is released after the grace period")
    func detachedThenReleased() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        table.pathMissing("/d/a.log")
        #expect(table.endOfBatch(now: 200).isEmpty)
        #expect(table.tick(now: 200 + FileTable.detachGraceMs, pollAll: false) == [.release(id, .vanished, flushPartial: false)])
    }

    @Test("reopening a known file whose name is gone (renamed in the same batch) detaches it instead of dropping it")
    func reopenRaceWithRename() {
        var table = Self.table(closeInactiveMs: 10)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        _ = table.tick(now: 100, pollAll: false)
        #expect(table.pathModified("/d/a.log", now: 150) == [.reopen(id)])
        #expect(table.openFailed(id, errno: ENOENT, now: 150).isEmpty)
        #expect(table.detached == [id])
        let found = table.observe(path: "/d/a.log.1", input: nil, status: Self.status(10, size: 9), origin: .event, now: 160)
        #expect(found.last == .reopen(id))
    }

    @Test("busy files take turns: a file with more to read goes to the back of the queue")
    func fairness() {
        var table = Self.table()
        let a = Self.discover(&table, "/d/a.log", inode: 10, size: 1000)
        let b = Self.discover(&table, "/d/b.log", inode: 11, size: 1000)
        #expect(table.nextReady() == a)
        _ = table.readCompleted(a, state: FramerState(offset: 100), atEndOfFile: false, status: nil, now: 0)
        #expect(table.nextReady() == b)
        _ = table.readCompleted(b, state: FramerState(offset: 100), atEndOfFile: false, status: nil, now: 0)
        #expect(table.nextReady() == a)
    }

    @Test("a file parked while its input is paused, or deferred by the consumer, is not closed as idle")
    func parkedAndDeferredStayOpen() {
        var table = Self.table(closeInactiveMs: 50)
        let id = Self.discover(&table, "/d/a.log", inode: 10, size: 5)
        _ = Self.readAll(&table, id, size: 5)
        // New bytes arrived and the file was queued, but its input is paused: parked.
        _ = table.modified(id, now: 10)
        #expect(table.nextReady() == id)
        table.parked(id)
        #expect(table.tick(now: 1000, pollAll: false).isEmpty, "a parked file has unread bytes: not idle")
        // Deferred from offset 3: same.
        table.readDeferred(id, state: FramerState(offset: 3), now: 1000)
        #expect(table.tick(now: 5000, pollAll: false).isEmpty)
        #expect(table.enqueue(id).isEmpty && table.nextReady() == id)
    }
}
