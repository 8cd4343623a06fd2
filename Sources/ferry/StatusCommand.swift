import ArgumentParser
import Ferry

/// `ferry status --config FILE`: per-file delivery progress from the checkpoint.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show per file: size, committed offset, lag, state and the age of the last acknowledgement.",
        discussion: "Reads the checkpoint without taking the agent's lock: safe while `ferry run` works. The checkpoint is written at most every checkpoint_interval_ms, so it can trail the agent by that much.")

    @Option(name: .shortAndLong, help: "The configuration file (YAML); - reads it from standard input.")
    var config: String

    @Flag(name: .long, help: "Wait until every file is delivered to its current end (lag 0), then print.")
    var wait = false

    @Option(name: .customLong("timeout-ms"), help: "With --wait: give up after this long (exit status 1).")
    var timeoutMs: Int = 600_000

    @Option(name: .long, help: "Only the files of this input (with --wait: wait for those only).")
    var input: String?

    @Flag(name: .long, help: "Print one JSON object (files, total, caught_up) instead of the table.")
    var json = false

    func run() async throws {
        StandardErrorLog.bootstrap(level: .critical)
        let configuration = try ConfigurationFile.load(config)
        if let input, !configuration.inputs.contains(where: { $0.name == input }) {
            throw ValidationError("--input \(input): no input of that name in \(config)")
        }
        func current() -> StatusReport {
            let report = StatusReport.make(stateDirectory: configuration.stateDirectory)
            return input.map { report.only(input: $0) } ?? report
        }
        var report = current()
        if wait {
            let deadline = WallClockMilliseconds.now() + Int64(timeoutMs)
            while !report.isCaughtUp {
                guard WallClockMilliseconds.now() < deadline else {
                    FileHandleStream.standardError.write("ferry status: not caught up within \(timeoutMs) ms\n")
                    print(json ? report.json : report.table)
                    throw ExitCode(1)
                }
                try await Task.sleep(for: .milliseconds(20))
                report = current()
            }
        }
        print(json ? report.json : report.table)
    }
}

