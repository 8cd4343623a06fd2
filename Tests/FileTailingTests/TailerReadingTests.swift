import FerryTestSupport
@testable import FileTailing
import Foundation
import Synchronization
import Testing

/// Reading and framing against real files, with the tailer running.
@Suite("Tailer reading")
struct TailerReadingTests {
    /// Writes a 50 MB line in 1 MiB writes (so the tailer sees it grow), then a short line.
    private static func writeFiftyMegabyteLine(_ path: String) {
        let block = [UInt8](repeating: 0x78, count: 1 << 20)
        for _ in 0..<50 { Files.append(path, block) }
        Files.append(path, "\nafter\n")
    }

    @Test("a 50 MB line under split: 1 MiB pieces covering every byte, and the file keeps being read")
    func fiftyMegabyteLineSplit() throws {
        let harness = try TailHarness("tail-50mb-split")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("big.log")
        Self.writeFiftyMegabyteLine(path)
        #expect(harness.collector.wait(seconds: 30) { $0.texts.last == "after" })
        let lines = harness.collector.lines
        #expect(lines.count == 51)
        #expect(lines.dropLast().allSatisfy { $0.flags == .split && $0.content.count == 1 << 20 })
        #expect(lines.dropLast().allSatisfy { $0.content.allSatisfy { $0 == 0x78 } })
        #expect(zip(lines, lines.dropFirst()).allSatisfy { $0.endOffset == $1.offset })
        #expect(lines[49].endOffset == 50 << 20 + 1)
        #expect(harness.tailer.counters.longLinesSplit == 1)
    }

    @Test("a 50 MB line under truncate: one line of 1 MiB whose offsets cover the 50 MB")
    func fiftyMegabyteLineTruncate() throws {
        let harness = try TailHarness("tail-50mb-truncate", configure: {
            $0.inputs[0].longLinePolicy = .truncate
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Self.writeFiftyMegabyteLine(harness.file("big.log"))
        #expect(harness.collector.wait(seconds: 30) { $0.texts.last == "after" })
        let lines = harness.collector.lines
        #expect(lines.count == 2)
        #expect(lines[0].flags == .truncated)
        #expect(lines[0].content.count == 1 << 20)
        #expect(lines[0].endOffset == 50 << 20 + 1)
        #expect(lines[1].offset == 50 << 20 + 1)
        #expect(harness.tailer.counters.longLinesTruncated == 1)
    }

    @Test("NUL bytes and invalid UTF-8 are delivered exactly as written")
    func binaryBytes() throws {
        let harness = try TailHarness("tail-binary")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let weird: [UInt8] = [0x00, 0x01, 0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80, 0x0D, 0x00]
        Files.append(harness.file("bin.log"), weird + [0x0A] + weird + [0x0D, 0x0A])
        #expect(harness.collector.wait { $0.lines.count == 2 })
        #expect(harness.collector.lines.map(\.content) == [weird, weird])
    }

    @Test("start_at end skips existing lines but delivers a line being written whole; later files start at 0")
    func startAtEnd() throws {
        let harness = try TailHarness("tail-end", configure: { $0.inputs[0].startAt = .end }, before: { directory in
            Files.append(directory.file("old.log"), "skipped-1\nskipped-2\npartial")
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        Files.append(harness.file("old.log"), "-done\nnext\n")
        Files.append(harness.file("new.log"), "fresh\n")
        #expect(harness.collector.wait { Set($0.texts) == ["partial-done", "next", "fresh"] })
        let opened = harness.collector.events(where: \.isOpened).map(\.kind)
        #expect(opened.contains(.opened(startOffset: 20, foundByInitialScan: true)))
        #expect(opened.contains(.opened(startOffset: 0, foundByInitialScan: false)))
    }

    @Test("the start-offset hook decides where a discovered file starts")
    func startOffsetHook() throws {
        let seen = Mutex<[DiscoveredFile]>([])
        let harness = try TailHarness(
            "tail-hook",
            startOffset: { file in
                seen.withLock { $0.append(file) }
                return file.path.hasSuffix("resume.log") ? .offset(4) : .useStartAtRule
            },
            before: { directory in Files.append(directory.file("resume.log"), "old\nnew\n") })
        defer { harness.finish() }
        #expect(harness.collector.wait { $0.texts == ["new"] })
        let discovered = seen.withLock { $0 }
        #expect(discovered.count == 1)
        #expect(discovered.first?.foundByInitialScan == true)
        #expect(discovered.first?.size == 8)
        #expect(discovered.first?.identity.fingerprint.length == 8)
    }

    @Test("a partial last line is delivered after partial_line_timeout_ms, flagged unterminated")
    func partialTimeout() throws {
        let harness = try TailHarness("tail-partial", configure: {
            $0.inputs[0].partialLineTimeoutMs = 50
            $0.closeInactiveMs = 60_000
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("p.log")
        Files.append(path, "complete\nhalf")
        #expect(harness.collector.wait { $0.lines.count == 2 })
        #expect(harness.collector.lines[1].flags == .unterminated)
        #expect(harness.collector.lines[1].text == "half")
        Files.append(path, "-rest\n")
        #expect(harness.collector.wait { $0.lines.count == 3 })
        #expect(harness.collector.lines[2] .text == "-rest")
        #expect(harness.collector.lines[2].offset == 13)
    }

    @Test("without a timeout, a partial line is held until its newline")
    func partialHeld() throws {
        let harness = try TailHarness("tail-held")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("p.log")
        Files.append(path, "one\ntw")
        #expect(harness.collector.wait { $0.lines.count == 1 })
        usleep(100_000)
        #expect(harness.collector.lines.count == 1)
        Files.append(path, "o\n")
        #expect(harness.collector.wait { $0.texts == ["one", "two"] })
    }

    @Test("pause stops reading, resume delivers everything written meanwhile")
    func pauseResume() throws {
        let harness = try TailHarness("tail-pause")
        defer { harness.finish() }
        #expect(harness.waitForStart())
        let path = harness.file("a.log")
        Files.append(path, "before\n")
        #expect(harness.collector.wait { $0.lines.count == 1 })
        harness.tailer.pause()
        let tailer = harness.tailer
        #expect(harness.collector.wait { _ in tailer.counters.paused })
        Files.append(path, TailHarness.lines("during", 0..<100))
        Files.append(harness.file("b.log"), "new file while paused\n")
        usleep(150_000)
        #expect(harness.collector.lines.count == 1)
        harness.tailer.resume()
        #expect(harness.collector.wait { $0.lines.count == 102 })
        #expect(!harness.tailer.counters.paused)
    }

    @Test("the callback can pause the tailer from its own thread (backpressure)")
    func pauseFromCallback() throws {
        let box = Mutex<Tailer?>(nil)
        let collector = TailCollector(hook: { output in
            if case .lines = output { box.withLock { $0?.pause() } }
        })
        let harness = try TailHarness("tail-backpressure", collector: collector)
        defer { harness.finish() }
        box.withLock { $0 = harness.tailer }
        #expect(harness.waitForStart())
        Files.append(harness.file("a.log"), TailHarness.lines("l", 0..<10))
        #expect(harness.collector.wait { $0.lines.count == 10 })
        #expect(harness.tailer.isPaused)
        Files.append(harness.file("a.log"), TailHarness.lines("m", 0..<10))
        usleep(100_000)
        #expect(harness.collector.lines.count == 10)
        harness.tailer.resume()
        #expect(harness.collector.wait { $0.lines.count == 20 })
    }

    @Test("a busy file does not starve another: turns alternate")
    func fairness() throws {
        let harness = try TailHarness("tail-fair", configure: { $0.readChunkBytes = 64 << 10 }, before: { directory in
            let line = String(repeating: "b", count: 99) + "\n"
            Files.append(directory.file("busy.log"), String(repeating: line, count: 100_000))
            Files.append(directory.file("quiet.log"), "quiet\n")
        })
        defer { harness.finish() }
        #expect(harness.collector.wait(seconds: 30) { $0.lines.count == 100_001 })
        let index = harness.collector.texts.firstIndex(of: "quiet") ?? 0
        #expect(index < 2_000, "the quiet file waited for \(index) lines of the busy one")
    }

    @Test("max_open_files bounds descriptors; idle files are closed and reopened on change")
    func boundedDescriptors() throws {
        let harness = try TailHarness("tail-fds", configure: {
            $0.maxOpenFiles = 3
            $0.closeInactiveMs = 60_000
        })
        defer { harness.finish() }
        #expect(harness.waitForStart())
        var expected = 0
        var maximumOpen = 0
        for round in 0..<5 {
            for file in 0..<10 {
                Files.append(harness.file("f\(file).log"), "r\(round)-f\(file)\n")
                expected += 1
                maximumOpen = max(maximumOpen, harness.tailer.counters.filesOpen)
            }
            let target = expected
            #expect(harness.collector.wait { $0.lines.count == target })
        }
        #expect(maximumOpen <= 3)
        #expect(harness.tailer.counters.filesOpen <= 3)
        #expect(Set(harness.collector.texts).count == 50)
        for file in 0..<10 {
            let texts = harness.collector.lines.filter { $0.path.hasSuffix("/f\(file).log") }.map(\.text)
            #expect(texts == (0..<5).map { "r\($0)-f\(file)" })
        }
    }
}
