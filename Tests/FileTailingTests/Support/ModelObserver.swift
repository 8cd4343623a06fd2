@testable import FileTailing
import Foundation
import Synchronization

/// Records everything a tailer emits (for the final comparison with the model) and keeps live indexes the
/// randomized test synchronises on: which file id opened which inode, and how far each file was delivered.
final class ModelObserver: Sendable {
    /// One delivered line, with the raw bytes it covers reconstructed (content + terminator).
    struct Line: Sendable {
        var file: TailedFileID
        var offset: Int64
        var endOffset: Int64
        var bytes: [UInt8]
        var flags: TailedLine.Flags
    }

    enum Item: Sendable {
        case line(Line)
        case event(TailEvent)
    }

    struct State: Sendable {
        var items: [Item] = []
        /// Opened events by inode: (index in `items`, file id).
        var openedByInode: [UInt64: [(index: Int, file: TailedFileID)]] = [:]
        /// Where each inode's content starts a segment of a file: opened (segment 0) and truncated events.
        var appearances: [UInt64: [(index: Int, file: TailedFileID, segment: Int)]] = [:]
        /// Per file: truncations seen and end offset of the last line since the last truncation.
        var progress: [TailedFileID: (truncations: Int, end: Int64)] = [:]
        var released: [TailedFileID: TailEvent.Kind] = [:]
    }

    let state = Mutex(State())

    var handler: Tailer.OutputHandler {
        { [self] output in
            switch output {
            case .lines(let chunk):
                var lines: [Line] = []
                lines.reserveCapacity(chunk.lines.count)
                for index in chunk.lines.indices {
                    let line = chunk.lines[index]
                    var bytes = chunk.contentArray(of: index)
                    switch line.endOffset - line.offset - Int64(line.length) {
                    case 2 where !line.flags.contains(.truncated): bytes += [0x0D, 0x0A]
                    case 1 where !line.flags.contains(.truncated): bytes.append(0x0A)
                    default: break
                    }
                    lines.append(Line(
                        file: chunk.file.id, offset: line.offset, endOffset: line.endOffset, bytes: bytes,
                        flags: line.flags))
                }
                state.withLock { state in
                    for line in lines { state.items.append(.line(line)) }
                    if let last = lines.last {
                        let current = state.progress[last.file] ?? (0, 0)
                        state.progress[last.file] = (current.truncations, last.endOffset)
                    }
                }
            case .event(let event):
                state.withLock { state in
                    state.items.append(.event(event))
                    guard let file = event.file else { return }
                    switch event.kind {
                    case .opened:
                        let index = state.items.count - 1
                        state.openedByInode[file.identity.inode, default: []].append((index, file.id))
                        state.appearances[file.identity.inode, default: []].append((index, file.id, 0))
                        if state.progress[file.id] == nil { state.progress[file.id] = (0, 0) }
                    case .truncated:
                        let current = state.progress[file.id] ?? (0, 0)
                        state.progress[file.id] = (current.truncations + 1, 0)
                        state.appearances[file.identity.inode, default: []].append(
                            (state.items.count - 1, file.id, current.truncations + 1))
                    case .released:
                        state.released[file.id] = event.kind
                    default:
                        break
                    }
                }
            }
        }
    }

    /// How many items were recorded (an incarnation created now is opened at a later index).
    var count: Int { state.withLock { $0.items.count } }

    /// The file id that opened `inode` at or after item `index`.
    func file(openedInode inode: UInt64, after index: Int) -> TailedFileID? {
        state.withLock { state in
            state.openedByInode[inode]?.last { $0.index >= index }?.file
        }
    }

    /// The latest file segment holding content of `inode` written after item `index` (and before `end`): an `opened` event, or a
    /// truncation (a file deleted while closed whose inode was reused before the deletion was processed is
    /// reported as a truncation of the old file).
    func appearance(inode: UInt64, after index: Int, before end: Int = .max) -> (file: TailedFileID, segment: Int)? {
        state.withLock { state in
            state.appearances[inode]?.last { $0.index >= index && $0.index < end }.map { ($0.file, $0.segment) }
        }
    }

    /// Truncations seen for `file` and the end offset of its last line since then.
    func progress(_ file: TailedFileID) -> (truncations: Int, end: Int64)? {
        state.withLock { $0.progress[file] }
    }

    func released(_ file: TailedFileID) -> TailEvent.Kind? {
        state.withLock { $0.released[file] }
    }

    var items: [Item] { state.withLock { $0.items } }

    /// Polls `condition` every millisecond for up to `seconds`.
    func wait(seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(1_000)
        }
        return condition()
    }
}
