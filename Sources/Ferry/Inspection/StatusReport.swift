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
        /// For a file gone before everything it held was delivered: the bytes it held past the committed
        /// offset (counted as lost, `deleted_before_delivery`); 0 otherwise.
        public var undelivered: Int64 = 0
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
                state: state, lastAckAgeSeconds: age, undelivered: state == "gone-undelivered" ? entry.undeliveredBytes : 0))
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
        let header = ["PATH", "INPUT", "SIZE", "COMMITTED", "LAG", "STATE", "LAST ACK", "LOST"]
        var table = [header]
        var totalSize: Int64 = 0
        var totalCommitted: Int64 = 0
        var totalLag: Int64 = 0
        var totalLost: Int64 = 0
        for row in report.rows {
            totalLost += row.undelivered
            totalSize += row.size ?? 0
            totalCommitted += row.committed
            totalLag += row.lag ?? 0
            table.append([
                row.path, row.input, row.size.map { "\($0)" } ?? "-", "\(row.committed)", row.lag.map { "\($0)" } ?? "-",
                row.state, row.lastAckAgeSeconds.map { "\($0)s ago" } ?? "never", "\(row.undelivered)",
            ])
        }
        table.append(["TOTAL (\(report.rows.count) files)", "", "\(totalSize)", "\(totalCommitted)", "\(totalLag)", "", "", "\(totalLost)"])
        let widths = header.indices.map { column in table.map { $0[column].count }.max() ?? 0 }
        for row in table {
            print(row.enumerated().map { $0.element.padding(to: widths[$0.offset]) }.joined(separator: "  "))
        }
        return lines.joined(separator: "\n")
    }
}

extension StatusReport {
    /// `ferry status --json`: one object, for scripts (sizes in bytes; `null` where unknown).
    ///
    ///     {"checkpoint": "generation 12", "written_at_ms": 1796675301737, "caught_up": false,
    ///      "files": [{"path": "...", "input": "app", "size": 4096, "committed": 1024, "lag": 3072,
    ///                 "state": "behind", "last_ack_age_seconds": 2, "undelivered": 0}],
    ///      "total": {"files": 1, "size": 4096, "committed": 1024, "lag": 3072, "undelivered": 0}}
    public var json: String {
        func number(_ value: Int64?) -> String { value.map { "\($0)" } ?? "null" }
        let string = LogLineFormatter.jsonString
        let files = rows.map { row in
            "{\"path\":\(string(row.path)),\"input\":\(string(row.input)),\"size\":\(number(row.size)),"
                + "\"committed\":\(row.committed),\"lag\":\(number(row.lag)),\"state\":\(string(row.state)),"
                + "\"last_ack_age_seconds\":\(number(row.lastAckAgeSeconds)),\"undelivered\":\(row.undelivered)}"
        }
        let total =
            "{\"files\":\(rows.count),\"size\":\(rows.reduce(Int64(0)) { $0 &+ ($1.size ?? 0) }),"
            + "\"committed\":\(rows.reduce(Int64(0)) { $0 &+ $1.committed }),\"lag\":\(rows.reduce(Int64(0)) { $0 &+ ($1.lag ?? 0) }),"
            + "\"undelivered\":\(rows.reduce(Int64(0)) { $0 &+ $1.undelivered })}"
        return "{\"checkpoint\":\(string(checkpoint)),\"written_at_ms\":\(number(writtenAt)),\"caught_up\":\(isCaughtUp),"
            + "\"files\":[\(files.joined(separator: ","))],\"total\":\(total)}"
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
