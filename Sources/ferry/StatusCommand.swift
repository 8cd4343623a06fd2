import ArgumentParser
import Ferry

/// `ferry status --config FILE`: per-file delivery progress from the checkpoint.
struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show per file: size, committed offset, lag, state and the age of the last acknowledgement.",
        discussion: "Reads the checkpoint without taking the agent's lock: safe while `ferry run` works. The checkpoint is written at most every checkpoint_interval_ms, so it can trail the agent by that much.")

    @Option(name: .shortAndLong, help: "The configuration file (YAML).")
    var config: String

    func run() async throws {
        StandardErrorLog.bootstrap(level: .critical)
        let configuration = try ConfigurationFile.load(config)
        let report = StatusReport.make(stateDirectory: configuration.stateDirectory)
        print("checkpoint: \(report.checkpoint)")
        let header = ["PATH", "INPUT", "SIZE", "COMMITTED", "LAG", "STATE", "LAST ACK"]
        var table = [header]
        var totalSize: Int64 = 0
        var totalCommitted: Int64 = 0
        var totalLag: Int64 = 0
        for row in report.rows {
            totalSize += row.size ?? 0
            totalCommitted += row.committed
            totalLag += row.lag ?? 0
            table.append([
                row.path, row.input, row.size.map { "\($0)" } ?? "-", "\(row.committed)", row.lag.map { "\($0)" } ?? "-",
                row.state, row.lastAckAgeSeconds.map { "\($0)s ago" } ?? "never",
            ])
        }
        table.append(["TOTAL (\(report.rows.count) files)", "", "\(totalSize)", "\(totalCommitted)", "\(totalLag)", "", ""])
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            print(row.enumerated().map { $0.element.padding(to: widths[$0.offset]) }.joined(separator: "  "))
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
