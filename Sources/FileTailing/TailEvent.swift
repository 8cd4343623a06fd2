/// A stable number for a file during one run of the tailer. Never reused within a run; a rotated file keeps
/// its id under its new name, a file that replaces it gets a new one.
public struct TailedFileID: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The number.
    public let rawValue: UInt64
    /// Makes an id.
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    /// Ids in creation order.
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
    /// `#7`.
    public var description: String { "#\(rawValue)" }
}

/// A file as the consumer sees it: its runtime id, its input, the path it is read under now, and its
/// identity (which grows as the fingerprint covers more bytes).
public struct TailedFile: Hashable, Sendable {
    /// The runtime id.
    public var id: TailedFileID
    /// The name of the input the file belongs to.
    public var input: String
    /// The path the file is read under (its latest known name).
    public var path: String
    /// Device, inode and fingerprint.
    public var identity: FileIdentity

    /// Makes a description.
    public init(id: TailedFileID, input: String, path: String, identity: FileIdentity) {
        self.id = id
        self.input = input
        self.path = path
        self.identity = identity
    }
}

/// A file the tailer is about to read for the first time, handed to the start-offset hook.
public struct DiscoveredFile: Hashable, Sendable {
    /// The file's path.
    public var path: String
    /// The name of its input.
    public var input: String
    /// Its identity at discovery.
    public var identity: FileIdentity
    /// Its size at discovery.
    public var size: Int64
    /// Whether the initial scan found it (false: it appeared while the tailer was running).
    public var foundByInitialScan: Bool

    /// Makes a description.
    public init(path: String, input: String, identity: FileIdentity, size: Int64, foundByInitialScan: Bool) {
        self.path = path
        self.input = input
        self.identity = identity
        self.size = size
        self.foundByInitialScan = foundByInitialScan
    }
}

/// The start-offset hook's answer.
public enum StartDecision: Hashable, Sendable {
    /// Start at this offset (a line boundary, such as a validated checkpoint). An offset past the end of the
    /// file is treated as a truncation: reading starts at 0 and a ``TailEvent/Kind/truncated`` event says so.
    case offset(Int64)
    /// Apply the input's `start_at` rule (and "files that appear later start at 0").
    case useStartAtRule
    /// Apply this rule instead of the input's (files that appear later still start at 0): for the agent
    /// after an unusable checkpoint (`on_corrupt_checkpoint`).
    case startAt(StartAt)

    /// The rule applied, given the input's own.
    func rule(inputRule: StartAt) -> StartAt? {
        switch self {
        case .offset: return nil
        case .useStartAtRule: return inputRule
        case .startAt(let rule): return rule
        }
    }
}

/// Why a file was let go.
public enum ReleaseReason: String, Hashable, Sendable {
    /// Deleted; everything it held was read first.
    case deleted
    /// Renamed out of the patterns (or out of sight) and idle for `close_inactive_ms`.
    case movedOut = "moved_out"
    /// Gone while closed (deleted or renamed away while the tailer held no descriptor on it).
    case vanished
    /// Another file took its place at the same inode or path while it was closed.
    case replaced
    /// The tailer stopped.
    case stopped
}

/// Something that happened to a file, or to the tailer, in the same ordered stream as the lines.
public struct TailEvent: Hashable, Sendable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// Opened for the first time; lines follow from `startOffset`.
        case opened(startOffset: Int64, foundByInitialScan: Bool)
        /// Renamed to another path that still matches its input: the same file, read on without a gap.
        case renamed(from: String, to: String)
        /// No longer matches (renamed out of the patterns, or its name now points to another file): read to
        /// its end and released after `close_inactive_ms` without growth. `to` is the new path when known.
        case movedOut(from: String, to: String?)
        /// Deleted while open: what it holds is read, then it is released.
        case deleted
        /// Smaller than what was read (copytruncate), or rewritten in place: reading restarts at 0.
        /// Lines up to `readOffset` were delivered; `unreadBytes` bytes seen but not yet delivered as lines
        /// (a partial last line, or a tail not yet read whose size was observed) are lost; bytes appended and
        /// truncated between two observations cannot be counted.
        case truncated(readOffset: Int64, unreadBytes: Int64, newSize: Int64)
        /// Released: its descriptor is closed and nothing more will come from it. `finalOffset` is the end of
        /// the last delivered line; `lastKnownSize` the size last observed. `lastKnownSize > finalOffset`
        /// means bytes were never delivered (loss to account for).
        case released(reason: ReleaseReason, finalOffset: Int64, lastKnownSize: Int64)
        /// A read failed; it is retried.
        case readError(operation: String, errno: Int32)
        /// The file (or a directory on the way) cannot be opened for lack of permission; retried on the
        /// next change of its attributes and at every sweep.
        case permissionDenied(path: String, errno: Int32)
        /// A path is a loop of symbolic links (or a directory link leads back to an ancestor); not followed.
        case symlinkLoop(path: String)
        /// The kernel's inotify queue overflowed: every input is rescanned.
        case inotifyOverflow
        /// inotify cannot be used (unavailable, or the watch limit is reached): polling takes over.
        case pollingFallback(reason: String, errno: Int32?)
        /// A path cannot be represented (not valid UTF-8) and is skipped.
        case unsupportedPath(directory: String)
    }

    /// The file concerned, or nil for events of the tailer as a whole.
    public var file: TailedFile?
    /// What happened.
    public var kind: Kind

    /// Makes an event.
    public init(file: TailedFile?, kind: Kind) {
        self.file = file
        self.kind = kind
    }
}

/// What the consumer did with a chunk of lines.
public enum TailVerdict: Hashable, Sendable {
    /// Every line was taken.
    case accepted
    /// The lines before `line` (an index into the chunk's lines) were taken; the rest could not be now (the
    /// consumer's destination is unavailable). The tailer reads the file again from that line, no sooner
    /// than `retryAfterMs` from now: nothing is lost, nothing is held in memory, and the other files keep
    /// being read.
    case deferred(fromLine: Int, retryAfterMs: Int)
}

/// What the output callback receives.
public enum TailOutput {
    /// Lines from one file (a view valid during the callback only).
    case lines(TailChunk)
    /// A lifecycle event.
    case event(TailEvent)
}
