import FileTailing
import Foundation
import Synchronization

/// A line as received by a test: copied out of the chunk.
struct ReceivedLine: Hashable, Sendable {
    var file: TailedFileID
    var path: String
    var offset: Int64
    var endOffset: Int64
    var content: [UInt8]
    var flags: TailedLine.Flags
    /// Bytes covered by the file's fingerprint when the line was delivered.
    var fingerprintLength: Int = 0

    var text: String { String(decoding: content, as: UTF8.self) }
}

/// Everything a tailer delivered, in order, copied so it outlives the callback. Thread-safe.
final class TailCollector: Sendable {
    enum Item: Sendable {
        case line(ReceivedLine)
        case event(TailEvent)
    }

    private let items = Mutex<[Item]>([])
    /// Called on the tailer's thread for every output before it is recorded (tests use it to pause).
    private let hook: (@Sendable (TailOutput) -> Void)?

    init(hook: (@Sendable (TailOutput) -> Void)? = nil) {
        self.hook = hook
    }

    /// The output handler to give the tailer.
    var handler: Tailer.OutputHandler {
        { [self] output in
            hook?(output)
            switch output {
            case .lines(let chunk):
                var received: [Item] = []
                received.reserveCapacity(chunk.lines.count)
                for index in chunk.lines.indices {
                    let line = chunk.lines[index]
                    received.append(.line(ReceivedLine(
                        file: chunk.file.id, path: chunk.file.path, offset: line.offset, endOffset: line.endOffset,
                        content: chunk.contentArray(of: index), flags: line.flags,
                        fingerprintLength: chunk.file.identity.fingerprint.length)))
                }
                items.withLock { $0 += received }
            case .event(let event):
                items.withLock { $0.append(.event(event)) }
            }
        }
    }

    var all: [Item] { items.withLock { $0 } }

    var lines: [ReceivedLine] {
        all.compactMap { if case .line(let line) = $0 { line } else { nil } }
    }

    var events: [TailEvent] {
        all.compactMap { if case .event(let event) = $0 { event } else { nil } }
    }

    var texts: [String] { lines.map(\.text) }

    func lines(of file: TailedFileID) -> [ReceivedLine] { lines.filter { $0.file == file } }

    /// Events whose kind satisfies `predicate`.
    func events(where predicate: (TailEvent.Kind) -> Bool) -> [TailEvent] {
        events.filter { predicate($0.kind) }
    }

    /// Waits (polling every 5 ms) until `condition` holds or `seconds` pass; returns whether it held.
    @discardableResult
    func wait(seconds: Double = 10, until condition: (TailCollector) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition(self) { return true }
            usleep(5_000)
        }
        return condition(self)
    }
}

extension TailEvent.Kind {
    var isOpened: Bool { if case .opened = self { true } else { false } }
    var isRenamed: Bool { if case .renamed = self { true } else { false } }
    var isMovedOut: Bool { if case .movedOut = self { true } else { false } }
    var isDeleted: Bool { if case .deleted = self { true } else { false } }
    var isTruncated: Bool { if case .truncated = self { true } else { false } }
    var isReleased: Bool { if case .released = self { true } else { false } }
    var isPermissionDenied: Bool { if case .permissionDenied = self { true } else { false } }
    var isSymlinkLoop: Bool { if case .symlinkLoop = self { true } else { false } }
    var isOverflow: Bool { if case .inotifyOverflow = self { true } else { false } }
    var isPollingFallback: Bool { if case .pollingFallback = self { true } else { false } }
}
