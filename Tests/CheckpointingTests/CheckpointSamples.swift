import Checkpointing
import Foundation
import FerryTestSupport
import FileTailing
import Logging

/// Sample entries and small helpers shared by the checkpoint tests.
enum CheckpointSamples {
    /// `count` random but valid entries (paths share directory prefixes, some are gone, some never acked).
    static func entries(count: Int, seed: UInt64) -> [CheckpointEntry] {
        var random = SeededGenerator(seed: seed)
        return (0..<count).map { index in
            let committed = Int64.random(in: 0...(1 << 40), using: &random)
            let markerLength = Int(min(committed, Int64.random(in: 0...64, using: &random)))
            let base = Int64(1_700_000_000_000) + Int64.random(in: -1_000_000...1_000_000, using: &random)
            return CheckpointEntry(
                identity: FileIdentity(
                    device: UInt64.random(in: 1...3, using: &random) << 8,
                    inode: UInt64.random(in: 1...UInt64.max, using: &random),
                    fingerprint: FileFingerprint(length: Int.random(in: 0...1024, using: &random), hash: random.next())
                ),
                path: "/var/log/app-\(index / 50)/" + random.string(maximumLength: 12) + "-\(index).log",
                inputName: ["apps", "system", "nginx ☃"][index % 3],
                committedOffset: committed,
                marker: OffsetMarker(length: markerLength, hash: markerLength == 0 ? ContentHash.empty : random.next()),
                knownSize: committed + Int64.random(in: 0...1_000_000, using: &random),
                updatedAt: WallClockTime(millisecondsSinceEpoch: base),
                lastAcknowledgedAt: index % 4 == 0 ? nil : WallClockTime(millisecondsSinceEpoch: base - 5),
                goneSince: index % 7 == 0 ? WallClockTime(millisecondsSinceEpoch: base + 1) : nil
            )
        }
    }

    /// A logger that discards everything.
    static let quietLogger = Logger(label: "ferry.tests.checkpointing") { _ in SwiftLogNoOpLogHandler() }

    static let time = WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000)
}

/// A log handler that records messages, to check that losses and corruption are logged loudly.
final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
    }

    private let lock = NSLock()
    private var storage: [Record] = []
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    var records: [Record] { lock.withLock { storage } }

    func log(event: LogEvent) {
        let flat = (event.metadata ?? [:]).mapValues { "\($0)" }
        lock.withLock { storage.append(Record(level: event.level, message: "\(event.message)", metadata: flat)) }
    }

    /// A logger writing to a new recording handler, and the handler.
    static func make() -> (Logger, RecordingLogHandler) {
        let handler = RecordingLogHandler()
        return (Logger(label: "ferry.tests.recording") { _ in handler }, handler)
    }
}
