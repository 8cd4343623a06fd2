import FerryTestSupport
@testable import FileTailing
import Foundation
import Logging
import Testing

/// Model-based randomized test: random sequences of append, partial write, rename-rotate (within and out
/// of the patterns), copytruncate, delete, recreate and pause run against real files while the tailer
/// runs; afterwards every file segment must have been delivered exactly once, in order, byte for byte.
///
/// Synchronisation points are the ones no tailer can avoid: a file must have been seen before it leaves
/// the patterns or is deleted (else nobody could read it), and a copytruncate waits for the reader to have
/// caught up (else the bytes truncated unread are gone, as logrotate documents).
@Suite("Tailer model-based")
struct TailerModelTests {
    @Test("random operations against a model: every line exactly once, in order, per file", arguments: [
        UInt64(0x5EED_0001), 0x5EED_0002, 0x5EED_0003,
    ])
    func randomized(seed: UInt64) throws {
        // `FERRY_TAIL_SEED=5eed0003` replays one seed only (with `FERRY_TAIL_TRACE=1` for a full trace).
        if let only = ProcessInfo.processInfo.environment["FERRY_TAIL_SEED"], UInt64(only, radix: 16) != seed { return }
        let directory = try TemporaryDirectory("tail-model")
        defer { directory.remove() }
        let observer = ModelObserver()
        let tailer = try Tailer(
            configuration: TailerConfiguration(
                inputs: [TailInput(name: "model", include: [directory.file("*.log")])],
                maxOpenFiles: 4, closeInactiveMs: 150, sweepIntervalMs: 700, readChunkBytes: 4096),
            logger: Self.logger, output: observer.handler)
        try tailer.start()
        let model = TailModel(seed: seed, directory: directory, observer: observer, tailer: tailer)
        let started = Date()
        for index in 0..<2500 where model.problems.isEmpty { model.step(index) }
        let quiescent = model.waitQuiescent()
        tailer.stop()
        let elapsed = Date().timeIntervalSince(started)
        print("model seed \(String(seed, radix: 16)): \(model.statistics) in \(String(format: "%.1f", elapsed)) s")
        #expect(model.problems.isEmpty, "seed \(String(seed, radix: 16)): \(model.problems.prefix(5))")
        if let problem = model.problems.first,
            let number = problem.split(separator: " ").lazy.compactMap({ Int($0) }).first
        {
            Self.trace(number, model: model, observer: observer)
        }
        #expect(quiescent, "seed \(String(seed, radix: 16)): not everything was delivered")
        let failures = Self.verify(model: model, observer: observer)
        #expect(failures.isEmpty, "seed \(String(seed, radix: 16)): \(failures.prefix(8))")
        if let failure = failures.first, failure.hasPrefix("i"),
            let number = Int(failure.dropFirst().prefix { $0.isNumber })
        {
            Self.trace(number, model: model, observer: observer)
        }
        #expect(model.statistics.rotationsIn + model.statistics.rotationsOut > 50)
        #expect(model.statistics.copytruncates > 20)
        #expect(model.statistics.deletions > 50)
    }

    /// Quiet, unless `FERRY_TAIL_TRACE` is set: then every inotify record, probe and action is printed.
    static var logger: Logger {
        guard ProcessInfo.processInfo.environment["FERRY_TAIL_TRACE"] != nil else { return Files.logger }
        var logger = Logger(label: "ferry.tail.model") { StreamLogHandler.standardOutput(label: $0) }
        logger.logLevel = .trace
        return logger
    }

    /// Compares the delivered lines with the model; returns the problems found.
    static func verify(model: TailModel, observer: ModelObserver) -> [String] {
        var failures: [String] = []
        // Group lines per file id and per segment (a `truncated` event starts a segment).
        var segmentOf: [TailedFileID: Int] = [:]
        var groups: [TailedFileID: [[ModelObserver.Line]]] = [:]
        for item in observer.items {
            switch item {
            case .event(let event):
                guard let file = event.file, case .truncated = event.kind else { continue }
                segmentOf[file.id, default: 0] += 1
            case .line(let line):
                let segment = segmentOf[line.file] ?? 0
                var list = groups[line.file] ?? []
                while list.count <= segment { list.append([]) }
                list[segment].append(line)
                groups[line.file] = list
            }
        }
        var delivered: [String: [UInt8]] = [:]
        for (file, segments) in groups {
            for lines in segments where !lines.isEmpty {
                var expectedOffset: Int64 = 0
                var bytes: [UInt8] = []
                for (index, line) in lines.enumerated() {
                    if line.offset != expectedOffset {
                        failures.append("file \(file): line at \(line.offset), expected \(expectedOffset)")
                    }
                    if line.flags.contains(.unterminated), index != lines.count - 1 {
                        failures.append("file \(file): unterminated line before the end")
                    }
                    if line.flags.contains(.split) || line.flags.contains(.truncated) {
                        failures.append("file \(file): unexpected long-line flag")
                    }
                    expectedOffset = line.endOffset
                    bytes += line.bytes
                }
                let token = key(bytes)
                if delivered[token] != nil { failures.append("\(token) delivered twice (again as file \(file))") }
                delivered[token] = bytes
            }
        }
        for incarnation in model.incarnations {
            for (index, written) in incarnation.segments.enumerated() where !written.isEmpty {
                let token = key(written)
                let complete = TailModel.Incarnation.complete(written)
                let last = index == incarnation.segments.count - 1
                let mayFlush = last && (incarnation.fate == .deleted || incarnation.wasOutOfPatterns)
                switch delivered[token] {
                case nil:
                    if !complete.isEmpty { failures.append("\(token): \(complete.count) bytes never delivered") }
                case let bytes?:
                    if bytes != complete && !(mayFlush && bytes == written) {
                        failures.append(
                            "\(token): delivered \(bytes.count) bytes, wrote \(written.count) (\(complete.count) complete)")
                    }
                }
            }
        }
        return failures
    }

    /// Prints what happened to the incarnation of the first problem (for debugging a failing seed).
    static func trace(_ number: Int, model: TailModel, observer: ModelObserver) {
        guard number < model.incarnations.count else { return }
        let incarnation = model.incarnations[number]
        let ids = Set(observer.state.withLock { $0.openedByInode[incarnation.inode]?.map(\.file) ?? [] })
        print("trace of incarnation \(number) inode \(incarnation.inode) path \(incarnation.path) fate \(incarnation.fate) "
            + "segments \(incarnation.segments.map(\.count)) files \(ids.sorted())")
        for item in observer.items {
            switch item {
            case .event(let event):
                if let file = event.file, ids.contains(file.id) || file.identity.inode == incarnation.inode {
                    print("  event \(file.id) \(file.path.split(separator: "/").last ?? "") \(event.kind)")
                }
            case .line(let line):
                if ids.contains(line.file) { print("  line \(line.file) \(line.offset)..<\(line.endOffset)") }
            }
        }
    }

    /// A segment's key: its first line up to the `:` after its token (`i3.s0.n17:`), or all its bytes when
    /// it is only a short partial line.
    private static func key(_ bytes: [UInt8]) -> String {
        if let colon = bytes.firstIndex(of: 0x3A) { return String(decoding: bytes[...colon], as: UTF8.self) }
        return "partial:" + bytes.map { String($0) }.joined(separator: ",")
    }
}
