import FerryTestSupport
@testable import FileTailing
import Foundation

/// The model of the randomized test: what was written to which file incarnation, and what its fate was.
/// Drives real files; the tailer under test runs concurrently.
final class TailModel {
    /// One file from creation to deletion (a rename keeps the incarnation; copytruncate starts a segment).
    final class Incarnation {
        enum Fate { case live, rotatedIn, rotatedOut, deleted }
        let id: Int
        var path: String
        var inode: UInt64 = 0
        /// Observer item count before the file was created (for traces).
        let createdAt: Int
        var segments: [[UInt8]] = [[]]
        var pending: (line: [UInt8], written: Int)?
        var fate = Fate.live
        var wasOutOfPatterns = false
        var sequence = 0

        init(id: Int, path: String, createdAt: Int) {
            self.id = id
            self.path = path
            self.createdAt = createdAt
        }

        /// Bytes of the segment up to its last newline.
        static func complete(_ bytes: [UInt8]) -> [UInt8] {
            guard let last = bytes.lastIndex(of: 0x0A) else { return [] }
            return Array(bytes[...last])
        }
    }

    struct Statistics: CustomStringConvertible {
        var steps = 0, appends = 0, partials = 0, rotationsIn = 0, rotationsOut = 0, copytruncates = 0
        var deletions = 0, pauses = 0, incarnations = 0
        var description: String {
            "steps=\(steps) appends=\(appends) partials=\(partials) rotations(in/out)=\(rotationsIn)/\(rotationsOut) "
                + "copytruncates=\(copytruncates) deletions=\(deletions) pauses=\(pauses) incarnations=\(incarnations)"
        }
    }

    let directory: TemporaryDirectory
    let observer: ModelObserver
    let tailer: Tailer
    var random: SeededGenerator
    var incarnations: [Incarnation] = []
    var current: [Int?] = [nil, nil, nil]
    var rotated: [Int] = []
    var counter = 0
    var pausedUntil: Int?
    var statistics = Statistics()
    /// Problems found while driving (a synchronisation that timed out).
    var problems: [String] = []

    init(seed: UInt64, directory: TemporaryDirectory, observer: ModelObserver, tailer: Tailer) {
        self.random = SeededGenerator(seed: seed)
        self.directory = directory
        self.observer = observer
        self.tailer = tailer
    }

    // MARK: Steps

    func step(_ index: Int) {
        statistics.steps += 1
        if let until = pausedUntil, index >= until { resume() }
        let stream = Int.random(in: 0..<current.count, using: &random)
        switch Int.random(in: 0..<100, using: &random) {
        case 0..<35: append(stream)
        case 35..<50: partial(stream)
        case 50..<60: rotate(stream)
        case 60..<66: copytruncate(stream)
        case 66..<72: deleteCurrent(stream)
        case 72..<78: deleteRotated()
        case 78..<83: pause(index)
        default: usleep(UInt32.random(in: 100...1500, using: &random))
        }
    }

    private func incarnation(for stream: Int) -> Incarnation {
        if let index = current[stream] { return incarnations[index] }
        let path = directory.file("s\(stream).log")
        let created = Incarnation(id: incarnations.count, path: path, createdAt: observer.count)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        precondition(descriptor >= 0, "create \(path): \(errno)")
        close(descriptor)
        created.inode = Files.inode(path) ?? 0
        incarnations.append(created)
        current[stream] = created.id
        statistics.incarnations += 1
        return created
    }

    private func makeLine(_ incarnation: Incarnation) -> [UInt8] {
        var line = Array("i\(incarnation.id).s\(incarnation.segments.count - 1).n\(incarnation.sequence):".utf8)
        incarnation.sequence += 1
        let alphabet: [UInt8] = Array("abcdefghij klmnop\t".utf8) + [0x00, 0xFF, 0xC3, 0x0D]
        for _ in 0..<Int.random(in: 0...90, using: &random) { line.append(alphabet.randomElement(using: &random)!) }
        line += Bool.random(using: &random) ? [0x0D, 0x0A] : [0x0A]
        return line
    }

    private func write(_ incarnation: Incarnation, _ bytes: [UInt8]) {
        Files.append(incarnation.path, bytes)
        incarnation.segments[incarnation.segments.count - 1] += bytes
    }

    private func append(_ stream: Int) {
        statistics.appends += 1
        let target = incarnation(for: stream)
        var bytes: [UInt8] = []
        if let pending = target.pending {
            bytes += pending.line[pending.written...]
            target.pending = nil
        }
        for _ in 0..<Int.random(in: 1...6, using: &random) { bytes += makeLine(target) }
        write(target, bytes)
    }

    private func partial(_ stream: Int) {
        statistics.partials += 1
        let target = incarnation(for: stream)
        if var pending = target.pending {
            let remaining = pending.line.count - pending.written
            guard remaining > 1 else { return }
            let more = Int.random(in: 1..<remaining, using: &random)
            write(target, Array(pending.line[pending.written..<pending.written + more]))
            pending.written += more
            target.pending = pending
        } else {
            let line = makeLine(target)
            let written = Int.random(in: 1..<line.count, using: &random)
            write(target, Array(line[..<written]))
            target.pending = (line, written)
        }
    }

    private func rotate(_ stream: Int) {
        guard let index = current[stream] else { return }
        let target = incarnations[index]
        counter += 1
        let inPatterns = Bool.random(using: &random)
        let destination = directory.file(inPatterns ? "s\(stream).r\(counter).log" : "s\(stream).log.\(counter)")
        if !inPatterns {
            // A file never seen before it leaves the patterns cannot be read by anyone: wait until its
            // complete lines are delivered (a partial line alone may be lost, and the model allows it).
            resume()
            guard waitCaughtUp(target) else { return }
            statistics.rotationsOut += 1
            target.fate = .rotatedOut
            target.wasOutOfPatterns = true
        } else {
            statistics.rotationsIn += 1
            target.fate = .rotatedIn
        }
        Files.rename(target.path, destination)
        target.path = destination
        current[stream] = nil
        rotated.append(index)
    }

    private func copytruncate(_ stream: Int) {
        guard let index = current[stream] else { return }
        let target = incarnations[index]
        // A truncation is visible only below what the reader has seen: a segment holding nothing but a
        // partial line may be written and truncated between two looks, which nobody can notice (and which
        // loses nothing deliverable). Such a segment is not copytruncated.
        guard !Incarnation.complete(target.segments[target.segments.count - 1]).isEmpty else { return }
        resume()
        guard waitCaughtUp(target) else { return }
        statistics.copytruncates += 1
        counter += 1
        let segment = target.segments[target.segments.count - 1]
        guard let token = Self.lastToken(Incarnation.complete(segment)), let file = observer.file(deliveringToken: token)
        else { return }
        Files.append(directory.file("s\(stream).log.copy\(counter)"), segment)
        let before = observer.count
        Files.truncate(target.path)
        target.pending = nil
        target.segments.append([])
        if !observer.wait({ observer.noticed(file: file, inode: target.inode, after: before) }) {
            problems.append("truncation of incarnation \(target.id) not reported")
        }
    }

    private func deleteCurrent(_ stream: Int) {
        guard let index = current[stream], delete(incarnations[index]) else { return }
        current[stream] = nil
    }

    private func deleteRotated() {
        guard !rotated.isEmpty else { return }
        let position = Int.random(in: 0..<rotated.count, using: &random)
        if delete(incarnations[rotated[position]]) { rotated.remove(at: position) }
    }

    private func delete(_ target: Incarnation) -> Bool {
        resume()
        guard waitCaughtUp(target) else { return false }
        statistics.deletions += 1
        Files.remove(target.path)
        target.fate = .deleted
        return true
    }

    private func pause(_ index: Int) {
        guard pausedUntil == nil else { return }
        statistics.pauses += 1
        tailer.pause()
        pausedUntil = index + Int.random(in: 1...25, using: &random)
    }

    func resume() {
        guard pausedUntil != nil else { return }
        tailer.resume()
        pausedUntil = nil
    }

    // MARK: Synchronisation

    /// The token (`i3.s0.n7:`) of the last line in `bytes` (which end with a newline), if any.
    static func lastToken(_ bytes: [UInt8]) -> String? {
        guard !bytes.isEmpty else { return nil }
        let body = bytes.dropLast()
        let start = body.lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        guard let colon = bytes[start...].firstIndex(of: 0x3A) else { return nil }
        return String(decoding: bytes[start...colon], as: UTF8.self)
    }

    /// Waits until every complete line of the current segment of `incarnation` was delivered (its last
    /// line's token was seen).
    func waitCaughtUp(_ incarnation: Incarnation, seconds: Double = 10) -> Bool {
        let complete = Incarnation.complete(incarnation.segments[incarnation.segments.count - 1])
        guard let token = Self.lastToken(complete) else { return true }
        let ok = observer.wait(seconds: seconds) { observer.file(deliveringToken: token) != nil }
        if !ok { problems.append("incarnation \(incarnation.id) not caught up (want \(complete.count))") }
        return ok
    }

    /// Waits until everything that must be delivered was: the complete lines of every segment, and the
    /// release of every file that left the patterns or was deleted once some of it was delivered.
    func waitQuiescent(seconds: Double = 30) -> Bool {
        resume()
        return observer.wait(seconds: seconds) {
            incarnations.allSatisfy { incarnation in
                let tokens = incarnation.segments.map { Self.lastToken(Incarnation.complete($0)) }
                guard tokens.allSatisfy({ $0.map { observer.file(deliveringToken: $0) != nil } ?? true }) else {
                    return false
                }
                guard incarnation.fate == .deleted || incarnation.fate == .rotatedOut,
                    let last = tokens.last ?? nil, let file = observer.file(deliveringToken: last)
                else { return true }
                return observer.released(file) != nil
            }
        }
    }
}
