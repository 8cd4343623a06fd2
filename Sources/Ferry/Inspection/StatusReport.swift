import Checkpointing
import FileTailing

#if canImport(Glibc)
import Glibc
#endif

/// What `ferry status` shows: per file of the checkpoint, its size now, the committed offset, the lag in
/// bytes, its state and the age of the last acknowledgement; read without taking the agent's lock.
public struct StatusReport: Sendable {
    /// One file's row.
    public struct Row: Sendable {
        public var path: String
        public var input: String
        /// Size now (nil when the file is gone or is another file now).
        public var size: Int64?
        public var committed: Int64
        /// Bytes not acknowledged yet (size - committed), when known.
        public var lag: Int64?
        /// `caught-up`, `behind`, `gone`, `gone-undelivered`, `replaced`.
        public var state: String
        /// Seconds since the last acknowledgement of the file, if any.
        public var lastAckAgeSeconds: Int64?
    }

    public var rows: [Row]
    /// What the checkpoint load found.
    public var checkpoint: String
    /// When the checkpoint was written (ms since the epoch), if any.
    public var writtenAt: Int64?

    /// Whether every file is delivered up to its size now (and there is at least one file).
    /// The report restricted to the files of `input`.
    public func only(input: String) -> StatusReport {
        var copy = self
        copy.rows = rows.filter { $0.input == input }
        return copy
    }

    public var isCaughtUp: Bool {
        !rows.isEmpty && rows.allSatisfy { ($0.lag ?? 0) == 0 && ($0.state == "caught-up" || $0.state == "gone") }
    }

    /// Reads the checkpoint of `stateDirectory` and the files it names.
    public static func make(stateDirectory: String, now: WallClockTime = .now()) -> StatusReport {
        let loaded = CheckpointStore.loadReadOnly(directory: stateDirectory)
        let checkpoint: String
        switch loaded.outcome {
        case .fresh: checkpoint = "no checkpoint in \(stateDirectory)"
        case .current(let generation): checkpoint = "generation \(generation)"
        case .recovered(let generation): checkpoint = "generation \(generation) (a newer copy is damaged)"
        case .unusable: checkpoint = "no usable checkpoint (damaged)"
        }
        var rows: [Row] = []
        for entry in loaded.entries.sorted(by: { $0.path < $1.path }) {
            var info = stat()
            var size: Int64? = nil
            var state: String
            if stat(entry.path, &info) == 0, UInt64(info.st_dev) == entry.identity.device, UInt64(info.st_ino) == entry.identity.inode {
                size = Int64(info.st_size)
                state = Int64(info.st_size) <= entry.committedOffset ? "caught-up" : "behind"
            } else if entry.goneSince != nil || stat(entry.path, &info) != 0 {
                state = entry.undeliveredBytes > 0 ? "gone-undelivered" : "gone"
            } else {
                state = "replaced"
            }
            let lag = size.map { max(0, $0 - entry.committedOffset) }
            let age = entry.lastAcknowledgedAt.map { (now.millisecondsSinceEpoch - $0.millisecondsSinceEpoch) / 1000 }
            rows.append(Row(
                path: entry.path, input: entry.inputName, size: size, committed: entry.committedOffset, lag: lag,
                state: state, lastAckAgeSeconds: age))
        }
        return StatusReport(rows: rows, checkpoint: checkpoint, writtenAt: loaded.snapshot?.writtenAt.millisecondsSinceEpoch)
    }
}

extension StatusReport {
    /// The table `ferry status` prints: one row per file and a total.
    public var table: String {
        let report = self
        var lines: [String] = []
        func print(_ line: String) { lines.append(line) }
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
        return lines.joined(separator: "\n")
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
