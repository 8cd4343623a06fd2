import FerryTestSupport
@testable import FileTailing
import Foundation
import Synchronization
import Testing
import FerryTestTags

/// The real `logrotate` (Debian package) rotating a file while a writer appends as fast as it can.
@Suite("Tailer with logrotate", .tags(.childProcess), .needsChildProcesses)
struct TailerLogrotateTests {
    /// What the tailer delivered, reduced to the writer's sequence numbers, per file id and segment.
    final class SequenceCollector: Sendable {
        struct State: Sendable {
            /// (file id, segment) -> sequence numbers in delivery order.
            var segments: [String: [Int]] = [:]
            var segmentOf: [TailedFileID: Int] = [:]
            var order: [String] = []
            var truncatedUnread: Int64 = 0
            var lastSequence = -1
            var delivered = 0
        }

        let state = Mutex(State())

        var handler: Tailer.OutputHandler {
            { [self] output in
                switch output {
                case .lines(let chunk):
                    var sequences: [Int] = []
                    sequences.reserveCapacity(chunk.lines.count)
                    for index in chunk.lines.indices {
                        // Lines are "seq-00001234-…": the number is at bytes 4..<12.
                        let content = chunk.content(of: index)
                        guard content.count >= 12 else { continue }
                        var value = 0
                        for byte in content[4..<12] { value = value * 10 + Int(byte &- 0x30) }
                        sequences.append(value)
                    }
                    state.withLock { state in
                        let key = "\(chunk.file.id)/\(state.segmentOf[chunk.file.id] ?? 0)"
                        if state.segments[key] == nil { state.order.append(key) }
                        state.segments[key, default: []] += sequences
                        state.delivered += sequences.count
                        state.lastSequence = max(state.lastSequence, sequences.max() ?? -1)
                    }
                case .event(let event):
                    guard let file = event.file, case .truncated(_, let unread, _) = event.kind else { return }
                    state.withLock { state in
                        state.segmentOf[file.id, default: 0] += 1
                        state.truncatedUnread += unread
                    }
                }
            }
        }
    }

    /// Appends numbered lines as fast as it can until told to stop; in `reopen` mode it reopens the path when
    /// the file it writes to was renamed away (as an application does on logrotate's postrotate signal).
    final class Writer: @unchecked Sendable {
        let path: String
        let reopen: Bool
        let stop = Atomic<Bool>(false)
        let written = Atomic<Int>(0)
        private var thread: Thread?
        private let done = DispatchSemaphore(value: 0)

        init(path: String, reopen: Bool) {
            self.path = path
            self.reopen = reopen
        }

        func start() {
            let thread = Thread { [self] in
                run()
                done.signal()
            }
            self.thread = thread
            thread.start()
        }

        func finish() -> Int {
            stop.store(true, ordering: .relaxed)
            done.wait()
            return written.load(ordering: .relaxed)
        }

        private func run() {
            var descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
            var sequence = 0
            let padding = String(repeating: "x", count: 60)
            while !stop.load(ordering: .relaxed) {
                var batch = ""
                for _ in 0..<50 {
                    let number = String(sequence)
                    batch += "seq-" + String(repeating: "0", count: 8 - number.count) + number + "-" + padding + "\n"
                    sequence += 1
                }
                // One write per line, as a logging library does.
                for line in batch.split(separator: "\n") {
                    _ = (line + "\n").withCString { Glibc.write(descriptor, $0, strlen($0)) }
                }
                written.store(sequence, ordering: .relaxed)
                if reopen, Files.inode(path) != Self.inode(of: descriptor) {
                    close(descriptor)
                    descriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
                }
            }
            close(descriptor)
        }

        private static func inode(of descriptor: Int32) -> UInt64? {
            var info = stat()
            return fstat(descriptor, &info) == 0 ? UInt64(info.st_ino) : nil
        }
    }

    /// Runs `logrotate -f` on `path` with `directive` (`create` or `copytruncate`) `rotations` times while the
    /// writer runs; returns the number of lines written.
    private static func rotate(
        _ directory: TemporaryDirectory, path: String, directive: String, rotations: Int, writer: Writer
    ) throws -> Int {
        let configuration = directory.file("logrotate.conf")
        try """
            \(path) {
                \(directive)
                rotate 100
                nocompress
                missingok
            }

            """.write(toFile: configuration, atomically: true, encoding: .utf8)
        writer.start()
        for _ in 0..<rotations {
            usleep(120_000)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/sbin/logrotate")
            process.arguments = ["-f", "-s", directory.file("logrotate.state"), configuration]
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
        }
        usleep(120_000)
        return writer.finish()
    }

    @Test("logrotate create: no line lost, none repeated, while the writer appends as fast as it can")
    func createMode() throws {
        let directory = try TemporaryDirectory("tail-logrotate-create")
        defer { directory.remove() }
        let path = directory.file("app.log")
        let collector = SequenceCollector()
        let tailer = try Tailer(
            configuration: TailerConfiguration(
                inputs: [TailInput(name: "app", include: [directory.file("*.log")])], closeInactiveMs: 500),
            logger: Files.logger, output: collector.handler)
        try tailer.start()
        defer { tailer.stop() }
        let writer = Writer(path: path, reopen: true)
        let written = try Self.rotate(directory, path: path, directive: "create", rotations: 8, writer: writer)
        let complete = TailCollector().wait(seconds: 30) { _ in collector.state.withLock { $0.delivered >= written } }
        let state = collector.state.withLock { $0 }
        let all = state.segments.values.flatMap { $0 }
        print("logrotate create: written \(written) lines, delivered \(all.count), files \(state.order.count), "
            + "rotations \(tailer.counters.rotations)")
        #expect(complete)
        #expect(all.count == written, "lost or repeated lines")
        #expect(Set(all).count == all.count, "repeated lines")
        #expect(Set(all) == Set(0..<written), "lost lines")
        for (key, sequences) in state.segments {
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 < $1 }, "out of order in \(key)")
        }
        #expect(tailer.counters.rotations >= 8)
        #expect(written > 10_000)
    }

    @Test("logrotate copytruncate: losses only in the window before each truncation, counted, none repeated")
    func copytruncateMode() throws {
        let directory = try TemporaryDirectory("tail-logrotate-copytruncate")
        defer { directory.remove() }
        let path = directory.file("app.log")
        let collector = SequenceCollector()
        let tailer = try Tailer(
            configuration: TailerConfiguration(inputs: [TailInput(name: "app", include: [directory.file("*.log")])]),
            logger: Files.logger, output: collector.handler)
        try tailer.start()
        defer { tailer.stop() }
        let writer = Writer(path: path, reopen: false)
        let written = try Self.rotate(directory, path: path, directive: "copytruncate", rotations: 8, writer: writer)
        _ = TailCollector().wait(seconds: 30) { _ in collector.state.withLock { $0.lastSequence >= written - 1 } }
        let state = collector.state.withLock { $0 }
        let segments = state.order.compactMap { state.segments[$0] }
        let all = segments.flatMap { $0 }
        // Where did each line not delivered go? In a rotated copy (the tailer had not read it when the file
        // was truncated) or nowhere (written between logrotate's copy and its truncation).
        var inCopies = Set<Int>()
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) where name.hasPrefix("app.log.") {
            let text = try String(contentsOfFile: directory.file(name), encoding: .utf8)
            for line in text.split(separator: "\n") where line.count >= 12 {
                if let value = Int(line.dropFirst(4).prefix(8)) { inCopies.insert(value) }
            }
        }
        let lost = Set(0..<written).subtracting(all)
        let lostInCopies = lost.intersection(inCopies).count
        print("logrotate copytruncate: written \(written), delivered \(all.count), lost \(lost.count) "
            + "(\(lostInCopies) still in rotated copies: read lag; \(lost.count - lostInCopies) in no file: "
            + "logrotate's copy-to-truncate window), truncations \(tailer.counters.truncations), "
            + "unread bytes reported \(state.truncatedUnread)")
        #expect(Set(all).count == all.count, "repeated lines")
        // Each segment is a contiguous run; every gap between segments sits right before a truncation.
        for sequences in segments {
            #expect(zip(sequences, sequences.dropFirst()).allSatisfy { $0 + 1 == $1 }, "hole inside a segment")
        }
        var gaps = 0
        for (before, after) in zip(segments, segments.dropFirst()) {
            guard let last = before.last, let first = after.first else { continue }
            #expect(first > last, "segments out of order")
            gaps += first - last - 1
        }
        #expect(segments.first?.first == 0)
        #expect(segments.last?.last == written - 1)
        #expect(gaps == lost.count, "a lost line outside the windows before truncations")
        #expect(tailer.counters.truncations >= 8)
        #expect(written > 10_000)
    }
}
