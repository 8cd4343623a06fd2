@testable import FileTailing
import Foundation
import Synchronization

/// Records everything a tailer emits (for the final comparison with the model) and keeps live indexes the
/// randomized test synchronises on: which file delivered each line token, and which files were released.
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
        var released: [TailedFileID: TailEvent.Kind] = [:]
        /// The file each line token (`i3.s0.n7:`) was delivered by.
        var tokens: [String: TailedFileID] = [:]
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
                    for line in lines {
                        state.items.append(.line(line))
                        if let colon = line.bytes.firstIndex(of: 0x3A) {
                            state.tokens[String(decoding: line.bytes[...colon], as: UTF8.self)] = line.file
                        }
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

    /// The file that delivered the line with `token`, if delivered.
    func file(deliveringToken token: String) -> TailedFileID? {
        state.withLock { $0.tokens[token] }
    }

    /// Whether, after item `index`, the tailer said something showing it noticed a change of `file` (or of
    /// `inode`): a truncation or release of the file, or an `opened` of the inode.
    func noticed(file: TailedFileID, inode: UInt64, after index: Int) -> Bool {
        state.withLock { state in
            state.items[min(index, state.items.count)...].contains { item in
                guard case .event(let event) = item, let subject = event.file else { return false }
                switch event.kind {
                case .truncated, .released: return subject.id == file
                case .opened: return subject.identity.inode == inode
                default: return false
                }
            }
        }
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
