/// What `stat` (following symbolic links) or `fstat` says about a file.
struct FileStatus: Hashable, Sendable {
    /// `st_dev`.
    var device: UInt64
    /// `st_ino`.
    var inode: UInt64
    /// `st_size`.
    var size: Int64
    /// `st_nlink`: 0 once the file is deleted (while a descriptor keeps it alive).
    var linkCount: UInt64

    /// Makes a status.
    init(device: UInt64, inode: UInt64, size: Int64, linkCount: UInt64 = 1) {
        self.device = device
        self.inode = inode
        self.size = size
        self.linkCount = linkCount
    }

    /// Device and inode together.
    var key: InodeKey { InodeKey(device: device, inode: inode) }
}

/// Device + inode: which file a path or descriptor designates right now.
struct InodeKey: Hashable, Sendable {
    /// `st_dev`.
    var device: UInt64
    /// `st_ino`.
    var inode: UInt64
}

/// A hash of the bytes just before an offset, kept when a file's descriptor is closed, so that a reopened
/// file is known to still hold what was read (inode reuse with identical first bytes is caught here).
struct CloseMarker: Hashable, Sendable {
    /// How many bytes before the offset are hashed at most.
    static let maximumLength = 256
    /// The offset the marker ends at.
    var offset: Int64
    /// Bytes hashed (`min(offset, maximumLength)`).
    var length: Int
    /// ``ContentHash`` of those bytes.
    var hash: UInt64

    /// Makes a marker.
    init(offset: Int64, length: Int, hash: UInt64) {
        self.offset = offset
        self.length = length
        self.hash = hash
    }
}

/// A rename of a file without descriptor, waiting for the content check.
struct PendingRename: Hashable, Sendable {
    /// The path before.
    var from: String
    /// Whether that path matched the file's input.
    var wasInPatterns: Bool
}

/// Where a tracked file is in its life.
enum FilePhase: Hashable, Sendable {
    /// Discovered, waiting for a descriptor (or for the loop to open it).
    case pending
    /// Could not be opened (`errno`); retried on attribute change and at each sweep.
    case blocked(errno: Int32)
    /// Open and followed.
    case open
    /// Descriptor closed while idle at end of file; reopened (and verified) when it changes.
    case closed
}

/// One file the tailer tracks.
struct TrackedFile: Hashable, Sendable {
    /// Its runtime id.
    let id: TailedFileID
    /// Index of its input.
    let input: Int
    /// Its latest known path.
    var path: String
    /// Whether ``path`` matches its input (false once it was renamed away).
    var inPatterns: Bool = true
    /// Whether it was deleted while open (drain, then release).
    var deleted: Bool = false
    /// Device, inode and fingerprint as last known.
    var identity: FileIdentity
    /// Where it is in its life.
    var phase: FilePhase = .pending
    /// Whether the `opened` event was sent (a file never opened is released silently but counted).
    var announced: Bool = false
    /// Whether the initial scan found it (for `start_at`).
    var foundByInitialScan: Bool
    /// Framing state: offset of the next line, bytes seen.
    var framer: FramerState = FramerState(offset: 0)
    /// Size last observed.
    var knownSize: Int64
    /// Monotonic milliseconds of the last growth or delivery.
    var lastActivity: Int64
    /// When the current partial line was first seen (for `partial_line_timeout_ms`).
    var partialSince: Int64?
    /// Whether the file is in the ready queue.
    var queued: Bool = false
    /// Whether a descriptor is held, or granted and being opened.
    var holdsDescriptor: Bool = false
    /// Whether the file is in the queue of files waiting for a descriptor.
    var waitingForDescriptor: Bool = false
    /// Whether the last read reached end of file.
    var atEndOfFile: Bool = false
    /// Marker taken when the descriptor was closed.
    var marker: CloseMarker?
    /// Whether its path was unlinked (deleted or renamed over) while it was closed: if its inode then holds
    /// other bytes, it is another file on a reused inode, not the same file truncated.
    var pathWasUnlinked: Bool = false
    /// When its path was found missing while it had no descriptor (nil: attached). It is released after a
    /// grace period unless its inode shows up under another name (a rename not processed yet).
    var detachedAt: Int64?
    /// A rename seen while it had no descriptor: announced once a reopen verified the content (its inode may
    /// have been reused by another file).
    var unverifiedRename: PendingRename?

    /// The consumer's view of it.
    func view(inputName: String) -> TailedFile {
        TailedFile(id: id, input: inputName, path: path, identity: identity)
    }

    /// Whether the file is open and has nothing left to read right now.
    var isIdleAtEnd: Bool {
        phase == .open && atEndOfFile && !queued && knownSize <= framer.scannedTo
    }
}

/// Where a path observation comes from.
enum ObservationOrigin: Hashable, Sendable {
    /// The initial scan at start.
    case initialScan
    /// An inotify event or the polling scan.
    case event
    /// The periodic sweep or an overflow rescan.
    case sweep
}

/// What the file table asks the I/O side to do. Executed in order.
enum TableAction: Hashable, Sendable {
    /// Open the file's path, take its identity, ask the start-offset hook, then call
    /// ``FileTable/opened(_:status:identity:decision:endBoundary:now:)`` (or `openFailed`).
    case open(TailedFileID)
    /// Reopen a closed file and check it is the same (fingerprint and marker), then call
    /// ``FileTable/reopened(_:status:sameContent:now:)`` (or `openFailed`).
    case reopen(TailedFileID)
    /// `fstat` the descriptor and call ``FileTable/descriptorChecked(_:status:fingerprintMatches:now:)``.
    case check(TailedFileID)
    /// Take the offset marker and close the descriptor (the file stays tracked).
    case close(TailedFileID)
    /// Deliver the partial line of the file now (timeout), then call ``FileTable/partialFlushed(_:now:)``.
    case flushPartial(TailedFileID)
    /// Release the file: deliver its partial line when `flushPartial` (through `partialFlushed`), close the
    /// descriptor if open, then call ``FileTable/released(_:reason:now:)``, which emits the event and forgets it.
    case release(TailedFileID, ReleaseReason, flushPartial: Bool)
    /// Close the descriptor just opened for the file without taking a marker (it is another file's).
    case discard(TailedFileID)
    /// `stat` the path and report it with `observe` or `pathMissing` (a file there may be new).
    case probe(String)
    /// Deliver an event.
    case emit(TailEvent)
}
