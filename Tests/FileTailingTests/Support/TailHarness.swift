import FerryTestSupport
@testable import FileTailing
import Foundation

/// A tailer on a fresh temporary directory with a collector. The sweep is slow by default (60 s), so a
/// test passes on inotify events, not on the safety net.
final class TailHarness {
    let directory: TemporaryDirectory
    let collector: TailCollector
    let tailer: Tailer

    init(
        _ prefix: String,
        include: [String] = ["*.log"],
        configure: (inout TailerConfiguration) -> Void = { _ in },
        startOffset: @escaping Tailer.StartOffsetHook = { _ in .useStartAtRule },
        collector: TailCollector = TailCollector(),
        threadSetUp: (@Sendable () -> Void)? = nil,
        simulatedWatchLimit: Int? = nil,
        consumer: Tailer.Consumer? = nil,
        before: (TemporaryDirectory) throws -> Void = { _ in }
    ) throws {
        let directory = try TemporaryDirectory(prefix)
        self.directory = directory
        try before(directory)
        var configuration = TailerConfiguration(
            inputs: [TailInput(name: "test", include: include.map { directory.path + "/" + $0 })],
            closeInactiveMs: 200, sweepIntervalMs: 60_000)
        configure(&configuration)
        self.collector = collector
        tailer = try Tailer(
            configuration: configuration, logger: Files.logger, startOffset: startOffset,
            consumer: consumer ?? { [collector] output in
                collector.handler(output)
                return .accepted
            },
            threadSetUp: threadSetUp, simulatedWatchLimit: simulatedWatchLimit)
        try tailer.start()
    }

    func file(_ name: String) -> String { directory.file(name) }

    /// Waits until the initial scan is done.
    func waitForStart() -> Bool {
        collector.wait { [tailer] _ in tailer.counters.initialScanDone }
    }

    /// Stops the tailer and removes the directory.
    func finish() {
        tailer.stop()
        directory.remove()
    }

    /// `n` numbered lines `prefix-0\n` ...
    static func lines(_ prefix: String, _ range: Range<Int>) -> String {
        range.map { "\(prefix)-\($0)\n" }.joined()
    }
}
