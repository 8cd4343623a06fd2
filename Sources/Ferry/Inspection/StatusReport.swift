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
