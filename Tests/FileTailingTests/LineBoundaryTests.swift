import FerryTestSupport
import Foundation
import Testing

@testable import FileTailing

/// `start_at: end`'s boundary: one rule for the tailer, `ferry check` and the agent.
@Suite("Line boundary for start_at end")
struct LineBoundaryTests {
    /// Descriptors of this process open on files under `directory` (other tests running in parallel open
    /// and close descriptors of their own).
    static func openDescriptors(under directory: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.filter { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(name)"))?.hasPrefix(directory) ?? false
        }.count
    }

    @Test("after the last newline; a single unfinished line starts at 0; a line longer than the look-back starts at the end")
    func boundaries() throws {
        let directory = try TemporaryDirectory("boundary")
        defer { directory.remove() }
        let cases: [(String, Int, Int64)] = [
            ("one\ntwo\nthr", 1 << 20, 8), ("one\ntwo\n", 1 << 20, 8), ("partial", 1 << 20, 0), ("", 1 << 20, 0),
            ("a\n" + String(repeating: "x", count: 100), 10, 102),
        ]
        for (index, (text, maxLineBytes, expected)) in cases.enumerated() {
            let path = directory.file("f\(index)")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            #expect(LineBoundary.last(path: path, size: Int64(text.utf8.count), maxLineBytes: maxLineBytes) == expected, "\(text.prefix(20))")
        }
    }

    @Test("no descriptor is left open, empty files included (the agent's copy of this scan leaked one per empty file)")
    func noLeak() throws {
        let directory = try TemporaryDirectory("boundary-leak")
        defer { directory.remove() }
        try "".write(toFile: directory.file("empty"), atomically: true, encoding: .utf8)
        try "x\n".write(toFile: directory.file("short"), atomically: true, encoding: .utf8)
        for _ in 0..<200 {
            _ = LineBoundary.last(path: directory.file("empty"), size: 0, maxLineBytes: 1 << 20)
            _ = LineBoundary.last(path: directory.file("short"), size: 2, maxLineBytes: 1 << 20)
            _ = LineBoundary.last(path: directory.file("missing"), size: 2, maxLineBytes: 1 << 20)
        }
        #expect(Self.openDescriptors(under: directory.path) == 0)
    }

    @Test("a start rule given by the hook (on_corrupt_checkpoint: end) applies to files of the initial scan only")
    func ruleFromHook() {
        #expect(FileTable.startOffset(decision: .startAt(.end), rule: .beginning, foundByInitialScan: true, endBoundary: 42) == 42)
        #expect(FileTable.startOffset(decision: .startAt(.end), rule: .beginning, foundByInitialScan: false, endBoundary: 42) == 0)
        #expect(FileTable.startOffset(decision: .startAt(.beginning), rule: .end, foundByInitialScan: true, endBoundary: 42) == 0)
        #expect(FileTable.startOffset(decision: .useStartAtRule, rule: .end, foundByInitialScan: true, endBoundary: 42) == 42)
        #expect(FileTable.startOffset(decision: .offset(7), rule: .end, foundByInitialScan: true, endBoundary: 42) == 7)
    }
}
