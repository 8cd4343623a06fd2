import FerryTestSupport
import Foundation
import Synchronization
import Testing

@testable import FileTailing

/// A consumer that cannot take everything now: the tailer reads the rest of that file again later (no line
/// lost, none twice, order kept, long-line pieces cut where they were), and the other files and inputs
/// keep going.
@Suite("Tailer deferral and per-input pause")
struct TailerDeferralTests {
    /// Forwards what it takes to a collector; takes chunks only partly, as `decide` says.
    final class PartialConsumer: Sendable {
        let collector: TailCollector
        /// Given the chunk, how many lines to take (nil: all).
        let decide: @Sendable (TailChunk) -> Int?
        let deferrals = Atomic<Int>(0)
        /// Deferrals that cut a long line between two of its pieces.
        let midLine = Atomic<Int>(0)

        init(collector: TailCollector, decide: @escaping @Sendable (TailChunk) -> Int?) {
            self.collector = collector
            self.decide = decide
        }

        var consumer: Tailer.Consumer {
            { [self] output in
                guard case .lines(let chunk) = output, let take = decide(chunk),
                    take < chunk.lines.count
                else {
                    collector.handler(output)
                    return .accepted
                }
                if take > 0 {
                    let taken = TailChunk(file: chunk.file, bytes: chunk.bytes, lines: UnsafeBufferPointer(rebasing: chunk.lines[0..<take]))
                    collector.handler(.lines(taken))
                }
                deferrals.wrappingAdd(1, ordering: .relaxed)
                if take > 0 {
                    let previous = chunk.lines[take - 1]
                    if previous.flags.contains(.split), previous.endOffset == previous.offset + Int64(previous.length) {
                        midLine.wrappingAdd(1, ordering: .relaxed)
                    }
                }
                return .deferred(fromLine: take, retryAfterMs: 5)
            }
        }
    }

    @Test("chunks taken by halves, long lines cut in pieces included: every line once, in order, pieces where they belong")
    func takenByHalves() throws {
        let collector = TailCollector()
        let seen = Mutex(Set<Int64>())
        let partial = PartialConsumer(collector: collector) { chunk in
            // The first time a chunk starts at an offset: take half of it (none of a one-line chunk); when a
            // long line's piece is in the chunk, cut right after it, between two pieces of the line.
            let first = chunk.lines[0].offset
            guard seen.withLock({ $0.insert(first).inserted }) else { return nil }
            if let piece = (0..<(chunk.lines.count - 1)).first(where: {
                chunk.lines[$0].flags.contains(.split) && chunk.lines[$0].endOffset == chunk.lines[$0].offset + Int64(chunk.lines[$0].length)
            }) {
                return piece + 1
            }
            return chunk.lines.count / 2
        }
        let harness = try TailHarness(
            "tail-defer-halves", configure: { $0.inputs[0].maxLineBytes = 1000 }, collector: collector,
            consumer: partial.consumer)
        defer { harness.finish() }
        #expect(harness.waitForStart())
        var expected: [String] = []
        for block in 0..<30 {
            var text = ""
            for index in (block * 100)..<(block * 100 + 100) {
                let line = index % 37 == 0 ? "long-\(index)-" + String(repeating: "x", count: 2500) : "line-\(index)"
                expected.append(line)
                text += line + "\n"
            }
            Files.append(harness.file("a.log"), text)
            usleep(2000)
        }
        #expect(collector.wait(seconds: 30) { $0.texts.contains { $0.hasPrefix("line-2999") } })
        // Split lines arrive as pieces of 1000 bytes; join them back.
        var joined: [String] = []
        var pending = ""
        for line in collector.lines {
            pending += line.text
            let terminated = line.endOffset > line.offset + Int64(line.content.count)
            if terminated {
                joined.append(pending)
                pending = ""
            }
        }
        #expect(joined == expected)
        let lines = collector.lines
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.endOffset == $1.offset }, "lines tile the file")
        #expect(partial.deferrals.load(ordering: .relaxed) > 10)
        #expect(partial.midLine.load(ordering: .relaxed) > 5, "deferrals between two pieces of a long line")
        #expect(harness.tailer.counters.deferrals == UInt64(partial.deferrals.load(ordering: .relaxed)))
    }

    @Test("a file whose lines are always deferred does not hold up the others")
    func deferredFileDoesNotBlockOthers() throws {
        let collector = TailCollector()
        let blocked = Atomic<Bool>(true)
        let partial = PartialConsumer(collector: collector) { chunk in
            chunk.file.path.hasSuffix("stuck.log") && blocked.load(ordering: .relaxed) ? 0 : nil
        }
        let harness = try TailHarness("tail-defer-others", collector: collector, consumer: partial.consumer)
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("stuck.log"), TailHarness.lines("stuck", 0..<100))
        for round in 0..<10 {
            Files.append(harness.file("free.log"), TailHarness.lines("free", (round * 100)..<(round * 100 + 100)))
        }
        #expect(collector.wait(seconds: 20) { $0.texts.filter { $0.hasPrefix("free-") }.count == 1000 })
        #expect(!collector.texts.contains { $0.hasPrefix("stuck-") })
        blocked.store(false, ordering: .relaxed)
        #expect(collector.wait(seconds: 20) { $0.texts.filter { $0.hasPrefix("stuck-") }.count == 100 })
        #expect(collector.texts.filter { $0.hasPrefix("stuck-") } == (0..<100).map { "stuck-\($0)" })
    }

    @Test("a paused input reads nothing while the other goes on; resumed, it delivers everything")
    func pausedInput() throws {
        let collector = TailCollector()
        let harness = try TailHarness(
            "tail-pause-input",
            configure: { configuration in
                let directory = (configuration.inputs[0].include[0] as NSString).deletingLastPathComponent
                configuration.inputs = [
                    TailInput(name: "first", include: [directory + "/first-*.log"]),
                    TailInput(name: "second", include: [directory + "/second-*.log"]),
                ]
            }, collector: collector)
        defer { harness.finish() }
        #expect(harness.waitForStart())
        harness.tailer.pause(input: 0)
        #expect(harness.tailer.isPaused(input: 0) && !harness.tailer.isPaused(input: 1))
        Files.append(harness.file("first-a.log"), TailHarness.lines("first", 0..<500))
        Files.append(harness.file("second-a.log"), TailHarness.lines("second", 0..<500))
        #expect(collector.wait(seconds: 20) { $0.texts.filter { $0.hasPrefix("second-") }.count == 500 })
        usleep(300_000)
        #expect(!collector.texts.contains { $0.hasPrefix("first-") })
        harness.tailer.resume(input: 0)
        #expect(collector.wait(seconds: 20) { $0.texts.filter { $0.hasPrefix("first-") }.count == 500 })
        #expect(collector.texts.filter { $0.hasPrefix("first-") } == (0..<500).map { "first-\($0)" })
    }
}
