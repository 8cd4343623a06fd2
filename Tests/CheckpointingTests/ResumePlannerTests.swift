import Checkpointing
import FerryTestSupport
import FileTailing
import Foundation
import Testing

/// The resume cases, on real files: match, truncated, rewritten, replaced, renamed, vanished.
@Suite("Resume")
struct ResumePlannerTests {
    let now = WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000)

    func write(_ path: String, _ text: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func append(_ path: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    func observe(_ path: String, input: String = "apps") throws -> ObservedFile {
        let descriptor = Glibc.open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { _ = Glibc.close(descriptor) }
        let identity = try FileFingerprinting.identity(descriptor: descriptor).get()
        var info = stat()
        _ = fstat(descriptor, &info)
        return ObservedFile(path: path, identity: identity, size: Int64(info.st_size), inputName: input)
    }

    /// The entry the previous run would have written: offset at the end of the first `lines` lines.
    func entry(_ path: String, committedLines lines: Int, goneSince: WallClockTime? = nil) throws -> CheckpointEntry {
        let content = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        var offset = 0
        var seen = 0
        while seen < lines, let newline = content[offset...].firstIndex(of: 10) {
            offset = newline + 1
            seen += 1
        }
        let lineStart = content[..<max(offset - 1, 0)].lastIndex(of: 10).map { $0 + 1 } ?? 0
        let observed = try observe(path)
        return CheckpointEntry(
            identity: observed.identity, path: path, inputName: "apps", committedOffset: Int64(offset),
            marker: offset == 0 ? .none : OffsetMarker(suffixOf: content[lineStart..<offset]),
            knownSize: Int64(content.count), updatedAt: now, lastAcknowledgedAt: now, goneSince: goneSince
        )
    }

    func plan(
        _ entries: [CheckpointEntry], _ observed: [ObservedFile], unknown: StartPosition = .beginning,
        logger: Logger = CheckpointSamples.quietLogger, reader: any FileContentReading = PosixFileContentReader()
    ) -> ResumePlan {
        ResumePlanner(reader: reader, logger: logger).plan(
            entries: entries, observed: observed, unknownFiles: unknown, now: now, forgetAfter: .seconds(24 * 3600)
        )
    }

    static let lines = (0..<200).map { "line \($0) of the application log, with some padding to make it longer\n" }.joined()

    @Test("match: an unchanged (or grown) file resumes at its committed offset")
    func resumeMatch() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, "first line\nsecond line\n")
        let saved = try entry(path, committedLines: 1)
        try append(path, Self.lines)   // grows past the fingerprint length: the stored 23-byte fingerprint is re-read
        let result = plan([saved], [try observe(path)])
        #expect(result.decisions.count == 1)
        #expect(result.decisions[0].reason == .unchanged)
        #expect(result.decisions[0].startOffset == 11)
        #expect(result.decisions[0].marker == saved.marker)
        #expect(result.decisions[0].resumesCheckpoint)
        #expect(result.vanished.isEmpty)
        #expect(result.lostBytes.isEmpty)
    }

    @Test("truncated: a file shorter than its committed offset restarts at 0 and the undelivered bytes are counted")
    func resumeTruncated() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 150)
        #expect(truncate(path, 100) == 0)
        let (logger, records) = RecordingLogHandler.make()
        let result = plan([saved], [try observe(path)], logger: logger)
        #expect(result.decisions[0].reason == .truncated(previousOffset: saved.committedOffset))
        #expect(result.decisions[0].startOffset == 0)
        #expect(result.decisions[0].marker == .none)
        #expect(result.decisions[0].lostBytes == saved.knownSize - saved.committedOffset)
        #expect(result.lostBytes == [.truncatedBeforeDelivery: saved.knownSize - saved.committedOffset])
        #expect(records.records.contains { $0.level == .warning && $0.message.contains("truncated") })
        #expect(records.records.contains { $0.level == .error && $0.message == "bytes lost" && $0.metadata["reason"] == "truncated_before_delivery" })
    }

    @Test("rewritten: same inode refilled past the offset (copytruncate) restarts at 0")
    func resumeRewritten() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 20)
        // Same inode, new content longer than the offset.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: Data(Self.lines.replacingOccurrences(of: "application", with: "APPLICATION").utf8))
        try handle.close()
        let observed = try observe(path)
        #expect(observed.identity.sameInode(as: saved.identity))
        let result = plan([saved], [observed])
        #expect(result.decisions[0].reason == .rewritten(previousOffset: saved.committedOffset))
        #expect(result.decisions[0].startOffset == 0)
    }

    @Test("rewritten: only the bytes before the offset changed (the marker catches what the fingerprint cannot)")
    func resumeMarkerMismatch() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 100)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: UInt64(saved.committedOffset - 5))
        try handle.write(contentsOf: Data("XXXX".utf8))
        try handle.close()
        let result = plan([saved], [try observe(path)])
        #expect(result.decisions[0].reason == .rewritten(previousOffset: saved.committedOffset))
    }

    @Test("replaced: a new file at the path starts at 0; the old one vanished with its undelivered bytes counted")
    func resumeReplaced() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 50)
        let keep = temporary.file("keep")   // hold the old inode so it cannot be reused
        #expect(link(path, keep) == 0)
        #expect(unlink(path) == 0)
        try write(path, "a brand new file\n")
        let result = plan([saved], [try observe(path)])
        #expect(result.decisions[0].reason == .replaced(previousIdentity: saved.identity))
        #expect(result.decisions[0].startOffset == 0)
        #expect(result.vanished.map(\.entry.identity) == [saved.identity])
        #expect(result.vanished[0].entry.goneSince == now)
        #expect(result.vanished[0].lostBytes == saved.undeliveredBytes)
        #expect(result.lostBytes == [.deletedBeforeDelivery: saved.undeliveredBytes])
    }

    @Test("renamed: a rotated file is followed under its new name from its offset; the new file starts at 0")
    func resumeRenamed() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        let rotated = temporary.file("app.log.1")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 120)
        #expect(rename(path, rotated) == 0)
        try write(path, "fresh after rotation\n")
        let (logger, records) = RecordingLogHandler.make()
        let result = plan([saved], [try observe(path), try observe(rotated)], logger: logger)
        #expect(result.decisions[0].reason == .new)
        #expect(result.decisions[0].startOffset == 0)
        #expect(result.decisions[1].reason == .renamed(from: path))
        #expect(result.decisions[1].startOffset == saved.committedOffset)
        #expect(result.decisions[1].marker == saved.marker)
        #expect(result.vanished.isEmpty)
        #expect(result.lostBytes.isEmpty)
        #expect(records.records.contains { $0.message.contains("renamed") && $0.metadata["file.path.previous"] == path })
    }

    @Test("vanished: a file deleted before all was acknowledged is counted and logged loudly, once")
    func resumeVanished() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 10)
        #expect(unlink(path) == 0)
        let (logger, records) = RecordingLogHandler.make()
        let result = plan([saved], [], logger: logger)
        #expect(result.decisions.isEmpty)
        #expect(result.vanished.count == 1)
        #expect(result.vanished[0].lostBytes == saved.knownSize - saved.committedOffset)
        #expect(result.lostBytes == [.deletedBeforeDelivery: saved.knownSize - saved.committedOffset])
        let loud = records.records.filter { $0.message == "bytes lost" }
        #expect(loud.count == 1)
        #expect(loud.first?.level == .error)
        #expect(loud.first?.metadata["reason"] == "deleted_before_delivery")
        #expect(loud.first?.metadata["bytes"] == "\(saved.knownSize - saved.committedOffset)")
        // The next start finds the entry already marked gone: not counted twice.
        let again = plan(result.vanished.map(\.entry), [])
        #expect(again.vanished.first?.lostBytes == 0)
        #expect(again.lostBytes.isEmpty)
        // After forget_after_hours it is dropped.
        let later = ResumePlanner(logger: CheckpointSamples.quietLogger).plan(
            entries: result.vanished.map(\.entry), observed: [], unknownFiles: .beginning,
            now: now.advanced(by: .seconds(24 * 3600)), forgetAfter: .seconds(24 * 3600)
        )
        #expect(later.vanished.isEmpty)
        #expect(later.forgotten.count == 1)
    }

    @Test("vanished with everything delivered loses nothing")
    func resumeVanishedDelivered() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, "one\ntwo\n")
        let saved = try entry(path, committedLines: 2)
        #expect(unlink(path) == 0)
        let result = plan([saved], [])
        #expect(result.vanished.first?.lostBytes == 0)
        #expect(result.lostBytes.isEmpty)
    }

    @Test("new files start at the beginning, or at the end with a marker of the last bytes")
    func newFiles() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("new.log")
        try write(path, Self.lines)
        let observed = try observe(path)
        #expect(plan([], [observed]).decisions[0].startOffset == 0)
        let atEnd = plan([], [observed], unknown: .end).decisions[0]
        #expect(atEnd.reason == .new)
        #expect(atEnd.startOffset == observed.size)
        #expect(atEnd.marker == OffsetMarker(suffixOf: Array(Self.lines.utf8)))
    }

    @Test("the same file under two paths is decided once and flagged")
    func sameFileTwice() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        let alias = temporary.file("alias.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 30)
        #expect(link(path, alias) == 0)
        let result = plan([saved], [try observe(alias), try observe(path)])
        #expect(result.decisions[0].reason == .renamed(from: path))
        #expect(result.decisions[1].reason == .sameFileAs(path: alias))
        #expect(result.decisions[1].startOffset == saved.committedOffset)
    }

    @Test("inode reuse under another path: the old entry vanished, the new file is new")
    func inodeReusedElsewhere() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let oldPath = temporary.file("old.log")
        let newPath = temporary.file("new.log")
        try write(oldPath, Self.lines)
        var saved = try entry(oldPath, committedLines: 5)
        try write(newPath, "different content\n")
        let observed = try observe(newPath)
        // Pretend the old file had the new file's inode (what inode reuse looks like).
        saved.identity.device = observed.identity.device
        saved.identity.inode = observed.identity.inode
        let result = plan([saved], [observed])
        #expect(result.decisions[0].reason == .new)
        #expect(result.vanished.count == 1)
        #expect(result.vanished[0].lostBytes == saved.undeliveredBytes)
    }

    @Test("a file that cannot be read for verification starts at 0")
    func unverifiable() throws {
        struct FailingReader: FileContentReading {
            func hashBytes(path: String, identity: FileIdentity, offset: Int64, length: Int) throws(FileIOFailure) -> (count: Int, hash: UInt64) {
                throw FileIOFailure(errno: EACCES, operation: "open")
            }
        }
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, Self.lines)
        let saved = try entry(path, committedLines: 5)
        let result = plan([saved], [try observe(path)], reader: FailingReader())
        #expect(result.decisions[0].reason == .unverifiable(FileIOFailure(errno: EACCES, operation: "open")))
        #expect(result.decisions[0].startOffset == 0)
        #expect(result.lostBytes.isEmpty)
    }

    @Test("the reader refuses a path that now holds another file")
    func readerChecksIdentity() throws {
        let temporary = try TemporaryDirectory("ckpt-resume")
        defer { temporary.remove() }
        let path = temporary.file("app.log")
        try write(path, "one\n")
        let before = try observe(path)
        // Keep the old inode alive under another name, so the new file cannot reuse it.
        #expect(rename(path, temporary.file("old")) == 0)
        try write(path, "two\n")
        #expect(throws: FileIOFailure.self) {
            try PosixFileContentReader().hashBytes(path: path, identity: before.identity, offset: 0, length: 4)
        }
    }

    @Test("retention keeps present files and files gone for less than forget_after_hours")
    func retention() {
        var entries = CheckpointSamples.entries(count: 3, seed: 1)
        entries[0].goneSince = nil
        entries[1].goneSince = now.advanced(by: .seconds(-3600))
        entries[2].goneSince = now.advanced(by: .seconds(-25 * 3600))
        let (kept, forgotten) = CheckpointRetention.partition(entries, now: now, forgetAfter: .seconds(24 * 3600))
        #expect(kept == [entries[0], entries[1]])
        #expect(forgotten == [entries[2]])
    }
}

import Logging
