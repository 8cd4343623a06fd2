import FerryTestSupport
@testable import FileTailing
import Foundation
import Testing

@Suite("Tailer basics")
struct TailerSmokeTests {
    @Test("existing and new files are read from the beginning, growth is followed")
    func readsAndFollows() throws {
        let directory = try TemporaryDirectory("tail-smoke")
        defer { directory.remove() }
        Files.append(directory.file("a.log"), "one\ntwo\n")
        let collector = TailCollector()
        let tailer = try Tailer(
            configuration: TailerConfiguration(inputs: [TailInput(name: "app", include: [directory.file("*.log")])]),
            logger: Files.logger, output: collector.handler)
        try tailer.start()
        defer { tailer.stop() }
        #expect(collector.wait { $0.texts == ["one", "two"] })
        Files.append(directory.file("a.log"), "three\r\nfour")
        #expect(collector.wait { $0.texts == ["one", "two", "three"] })
        Files.append(directory.file("a.log"), "\n")
        Files.append(directory.file("b.log"), "bee\n")
        Files.append(directory.file("c.txt"), "not matched\n")
        #expect(collector.wait { Set($0.texts) == ["one", "two", "three", "four", "bee"] })
        let lines = collector.lines.filter { $0.path.hasSuffix("a.log") }
        #expect(lines.map(\.offset) == [0, 4, 8, 15])
        #expect(lines.map(\.endOffset) == [4, 8, 15, 20])
        #expect(tailer.counters.lines == 5)
        #expect(tailer.counters.filesWatched == 2)
    }
}
