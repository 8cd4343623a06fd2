import DequeModule

/// The tailer's decisions, without I/O: which files exist, what each path and inode means, when a file
/// was renamed, moved away, deleted, replaced or truncated, which file reads next, which descriptor to
/// close. Every event method returns the ``TableAction``s the loop must perform, in order; the loop feeds
/// the results back through the methods named by each action.
///
/// Identity: a file is its device + inode while a descriptor is open on it (the kernel cannot reuse an
/// open inode); a closed file is verified by fingerprint and offset marker when it is reopened.
struct FileTable {
    /// The options the table decides with, per input where they differ.
    struct Settings: Hashable, Sendable {
        var inputNames: [String]
        var startRules: [StartAt]
        var partialTimeoutsMs: [Int?]
        var maxOpenFiles: Int
        var closeInactiveMs: Int64

        /// Takes the options the table needs from a configuration.
        init(_ configuration: TailerConfiguration) {
            inputNames = configuration.inputs.map(\.name)
            startRules = configuration.inputs.map(\.startAt)
            partialTimeoutsMs = configuration.inputs.map(\.partialLineTimeoutMs)
            maxOpenFiles = configuration.maxOpenFiles
            closeInactiveMs = Int64(configuration.closeInactiveMs)
        }
    }

    /// The options.
    let settings: Settings
    private(set) var files: [TailedFileID: TrackedFile] = [:]
    private(set) var byInode: [InodeKey: TailedFileID] = [:]
    private(set) var byPath: [String: TailedFileID] = [:]
    private var nextID: UInt64 = 1
    /// Descriptors held or being opened.
    private(set) var descriptorsInUse = 0
    /// Files that want a descriptor, in arrival order.
    private var waiting: Deque<TailedFileID> = []
    /// Open files with something to read, in turn order.
    private var ready: Deque<TailedFileID> = []
    /// Files in the order they went idle (oldest first; stale entries skipped): where a descriptor to close
    /// is found when the budget is spent.
    private var idleOrder: Deque<TailedFileID> = []
    /// Open files.
    private(set) var openFiles: Set<TailedFileID> = []
    /// Paths that vanished in the current batch, resolved by ``endOfBatch(now:)``.
    private var suspects: [(id: TailedFileID, path: String, deleted: Bool)] = []
    /// Open files whose path vanished and whose descriptor is being checked.
    private var awaitingPathCheck: Set<TailedFileID> = []
    private var reportedLoops: Set<String> = []
    /// Files without a descriptor whose path vanished, waiting to be found under another name.
    private(set) var detached: Set<TailedFileID> = []
    /// How long a detached file waits before it is released as vanished.
    static let detachGraceMs: Int64 = 1000
    /// Counters the table maintains (the loop adds bytes and lines).
    var counters = TailerCounters()

    /// An empty table.
    init(settings: Settings) {
        self.settings = settings
    }

    // MARK: Queries

    /// The file `id`, if tracked.
    func file(_ id: TailedFileID) -> TrackedFile? { files[id] }

    /// The consumer's view of file `id`.
    func view(_ id: TailedFileID) -> TailedFile? {
        files[id].map { $0.view(inputName: settings.inputNames[$0.input]) }
    }

    /// Whether any file waits to be read.
    var hasReadyFiles: Bool { !ready.isEmpty }

    /// How many files are ready to be read.
    var readyCount: Int { ready.count }

    /// Takes the next file to read (fair turns: a file that still has data goes to the back).
    mutating func nextReady() -> TailedFileID? {
        while let id = ready.popFirst() {
            guard var file = files[id] else { continue }
            file.queued = false
            files[id] = file
            if file.phase == .open { return id }
        }
        return nil
    }

    // MARK: Paths

    /// A path exists with `status` and belongs to input `input` (nil: it matches no input). `unlinked`
    /// says the path was deleted or renamed over since it was last seen (an inotify hint).
    mutating func observe(
        path: String, input: Int?, status: FileStatus, origin: ObservationOrigin, now: Int64,
        unlinked: Bool = false
    ) -> [TableAction] {
        var actions: [TableAction] = []
        reportedLoops.remove(path)
        if unlinked, let id = byInode[status.key], var file = files[id], file.phase == .closed {
            file.pathWasUnlinked = true
            files[id] = file
        }
        if let previous = byPath[path], let owner = files[previous], owner.identity.device != status.device
            || owner.identity.inode != status.inode
        {
            // Another file took this path: the previous owner was renamed away, deleted or replaced.
            byPath[path] = nil
            suspects.append((previous, path, false))
        }
        if let id = byInode[status.key], var file = files[id] {
            if file.detachedAt != nil {
                file.detachedAt = nil
                detached.remove(id)
            }
            if file.path != path {
                if byPath[file.path] == id { byPath[file.path] = nil }
                byPath[path] = id
                awaitingPathCheck.remove(id)
                if file.phase != .open, file.announced {
                    // No descriptor: the inode may belong to another file by now. Reopen and verify first.
                    if file.unverifiedRename == nil {
                        file.unverifiedRename = PendingRename(from: file.path, wasInPatterns: file.inPatterns)
                    }
                    file.pathWasUnlinked = true
                    file.path = path
                    file.inPatterns = input != nil
                    files[id] = file
                    return actions + acquireDescriptor(for: id)
                }
                if file.announced, let event = renameEvent(file, from: file.path, to: path, matches: input != nil) {
                    actions.append(event)
                }
                file.path = path
                file.inPatterns = input != nil
            } else if byPath[path] == nil {
                byPath[path] = id
            }
            if file.phase != .open { file.knownSize = status.size }
            files[id] = file
            actions += wake(id, size: status.size, now: now)
            return actions
        }
        guard let input else { return actions }
        let id = TailedFileID(nextID)
        nextID += 1
        files[id] = TrackedFile(
            id: id, input: input, path: path,
            identity: FileIdentity(device: status.device, inode: status.inode, fingerprint: .empty),
            foundByInitialScan: origin == .initialScan, knownSize: status.size, lastActivity: now)
        byInode[status.key] = id
        byPath[path] = id
        counters.filesWatched = files.count
        actions += acquireDescriptor(for: id)
        return actions
    }

    /// The event for `file` found at `path` instead of `from`: renamed (still or again matching), moved out
    /// (no longer matching), or nothing (moved between two names that do not match).
    mutating func renameEvent(_ file: TrackedFile, from: String, to path: String, matches: Bool) -> TableAction? {
        switch (file.inPatterns, matches) {
        case (true, true):
            counters.rotations += 1
            return emit(file, .renamed(from: from, to: path))
        case (true, false):
            counters.rotations += 1
            return emit(file, .movedOut(from: from, to: path))
        case (false, true):
            return emit(file, .renamed(from: from, to: path))
        case (false, false):
            return nil
        }
    }

    /// A path no longer exists (inotify delete or move, or absent from a full scan). `deleted` says an
    /// inotify delete event named it (then a file without descriptor is let go at once; otherwise it waits a
    /// little for a rename event naming its inode elsewhere).
    mutating func pathMissing(_ path: String, deleted: Bool = false) {
        reportedLoops.remove(path)
        guard let id = byPath[path] else { return }
        byPath[path] = nil
        suspects.append((id, path, deleted))
    }

    /// An inotify delete event named `path`: a file tracked there without a descriptor is gone for sure and
    /// is let go before anything else in the batch is looked at, since its inode may already belong to a new
    /// file. (An open file keeps its inode; it is checked through its descriptor as usual.)
    mutating func pathDeleted(_ path: String) -> [TableAction] {
        guard let id = byPath[path], let file = files[id], file.phase != .open else { return [] }
        byPath[path] = nil
        return [.release(id, .vanished, flushPartial: false)]
    }

    /// Resolves the paths that vanished in this batch: a file found again under another name was renamed
    /// (already handled); an open file is checked (deleted, or moved out of sight); a closed or waiting
    /// file is let go.
    mutating func endOfBatch(now: Int64) -> [TableAction] {
        var actions: [TableAction] = []
        let resolving = suspects
        suspects.removeAll()
        for (id, path, deleted) in resolving {
            guard let file = files[id], file.path == path, byPath[path] != id else { continue }
            switch file.phase {
            case .open:
                if !file.deleted, awaitingPathCheck.insert(id).inserted { actions.append(.check(id)) }
            case .closed, .pending, .blocked:
                if deleted || !file.announced {
                    actions.append(.release(id, .vanished, flushPartial: false))
                } else {
                    actions += detach(id, now: now)
                }
            }
        }
        return actions
    }

    /// File `id` (without descriptor) is no longer at its path: it waits ``detachGraceMs`` for a rename event
    /// naming its inode elsewhere (the periodic sweep cannot see renames out of the patterns), then is let go.
    mutating func detach(_ id: TailedFileID, now: Int64) -> [TableAction] {
        guard var file = files[id] else { return [] }
        unmapPath(file.path, id)
        file.detachedAt = now
        file.pathWasUnlinked = true
        files[id] = file
        detached.insert(id)
        return []
    }

    /// A path could not be resolved because of a symbolic link loop: reported once until it changes.
    mutating func symlinkLoop(_ path: String) -> [TableAction] {
        guard reportedLoops.insert(path).inserted else { return [] }
        counters.symlinkLoops += 1
        return [.emit(TailEvent(file: nil, kind: .symlinkLoop(path: path)))]
    }

    /// inotify (or the poller) says the file at `path` changed. Returns nil when the path is not tracked
    /// (the loop then probes it, as it may be a file not seen yet).
    mutating func pathModified(_ path: String, now: Int64) -> [TableAction]? {
        guard let id = byPath[path] else { return nil }
        return modified(id, now: now)
    }

    /// File `id` changed (an inotify watch on the file itself, or a poll).
    mutating func modified(_ id: TailedFileID, now: Int64) -> [TableAction] {
        guard let file = files[id] else { return [] }
        switch file.phase {
        case .open:
            return enqueue(id)
        case .closed:
            return acquireDescriptor(for: id)
        case .pending, .blocked:
            return []
        }
    }

    /// The attributes of `path` changed (chmod, chown): a file that could not be opened is retried.
    mutating func attributesChanged(_ path: String) -> [TableAction] {
        guard let id = byPath[path], let file = files[id], case .blocked = file.phase else { return [] }
        return acquireDescriptor(for: id)
    }

    /// Retries every file that could not be opened (sweep).
    mutating func retryBlocked() -> [TableAction] {
        files.values.filter { if case .blocked = $0.phase { true } else { false } }
            .sorted { $0.id < $1.id }
            .flatMap { acquireDescriptor(for: $0.id) }
    }

    /// A tracked file was seen again with `size`: read, reopen or retry it as needed.
    private mutating func wake(_ id: TailedFileID, size: Int64, now: Int64) -> [TableAction] {
        guard let file = files[id] else { return [] }
        switch file.phase {
        case .open:
            return size != file.framer.scannedTo || size != file.knownSize ? enqueue(id) : []
        case .closed:
            return size != file.framer.scannedTo ? acquireDescriptor(for: id) : []
        case .blocked:
            return acquireDescriptor(for: id)
        case .pending:
            return []
        }
    }

    // MARK: Descriptors

    /// Gives `id` a descriptor now (opening or reopening it), closing the least recently active idle file
    /// if the budget is spent, or queues it until one frees up.
    mutating func acquireDescriptor(for id: TailedFileID) -> [TableAction] {
        guard var file = files[id], !file.holdsDescriptor else { return [] }
        let action: TableAction = file.announced ? .reopen(id) : .open(id)
        var actions: [TableAction] = []
        if descriptorsInUse < settings.maxOpenFiles {
            descriptorsInUse += 1
        } else if waiting.isEmpty, let victim = idleVictim() {
            closeForBudget(victim)
            actions.append(.close(victim))
        } else {
            if !file.waitingForDescriptor {
                file.waitingForDescriptor = true
                waiting.append(id)
                files[id] = file
            }
            return []
        }
        file.holdsDescriptor = true
        file.waitingForDescriptor = false
        files[id] = file
        actions.append(action)
        return actions
    }

    /// The open file idle the longest (at end of file, still matching, not in doubt), if any. Entries of files
    /// that were woken since are dropped: they are queued again when they go idle again.
    private mutating func idleVictim() -> TailedFileID? {
        var kept: [TailedFileID] = []
        defer { for id in kept.reversed() { idleOrder.prepend(id) } }
        while let id = idleOrder.popFirst() {
            guard let file = files[id], file.phase == .open, file.isIdleAtEnd, file.inPatterns, !file.deleted else {
                continue
            }
            // A file whose path just vanished keeps its descriptor: it may be deleted and must be drained.
            if awaitingPathCheck.contains(id) || suspects.contains(where: { $0.id == id }) {
                kept.append(id)
                continue
            }
            return id
        }
        return nil
    }

    /// Marks `id` closed, handing its descriptor to another file (the loop performs the `.close`).
    private mutating func closeForBudget(_ id: TailedFileID) {
        guard var file = files[id] else { return }
        file.phase = .closed
        file.queued = false
        file.holdsDescriptor = false
        files[id] = file
        openFiles.remove(id)
        counters.filesOpen = openFiles.count
    }

    /// A descriptor was given back: hand it to the next waiting file.
    private mutating func descriptorFreed() -> [TableAction] {
        descriptorsInUse -= 1
        while descriptorsInUse < settings.maxOpenFiles, let next = waiting.popFirst() {
            guard var file = files[next], file.waitingForDescriptor, !file.holdsDescriptor else { continue }
            file.waitingForDescriptor = false
            files[next] = file
            return acquireDescriptor(for: next)
        }
        return []
    }

    /// Puts an open file in the ready queue (once).
    mutating func enqueue(_ id: TailedFileID) -> [TableAction] {
        guard var file = files[id], file.phase == .open, !file.queued else { return [] }
        file.queued = true
        files[id] = file
        ready.append(id)
        return []
    }

    /// An event about `file`.
    func emit(_ file: TrackedFile, _ kind: TailEvent.Kind) -> TableAction {
        .emit(TailEvent(file: file.view(inputName: settings.inputNames[file.input]), kind: kind))
    }

    // MARK: Internal bookkeeping shared with the reading half

    /// Writes back a file changed by the reading half.
    mutating func store(_ file: TrackedFile) { files[file.id] = file }

    /// File `id` holds a descriptor now.
    mutating func markOpen(_ id: TailedFileID) {
        openFiles.insert(id)
        counters.filesOpen = openFiles.count
    }

    /// File `id` reached end of file with nothing more to read: it becomes a candidate for closing, and if
    /// files wait for a descriptor, the least recently active idle file hands its descriptor over now.
    mutating func markIdle(_ id: TailedFileID) -> [TableAction] {
        idleOrder.append(id)
        if idleOrder.count > 4 * openFiles.count + 64 {
            // Drop stale and repeated entries so the deque stays proportional to the open files.
            var seen = Set<TailedFileID>()
            idleOrder = Deque(idleOrder.filter { openFiles.contains($0) && seen.insert($0).inserted })
        }
        while let next = waiting.first {
            guard var file = files[next], file.waitingForDescriptor, !file.holdsDescriptor else {
                waiting.removeFirst()
                continue
            }
            guard let victim = idleVictim() else { return [] }
            waiting.removeFirst()
            closeForBudget(victim)
            file.holdsDescriptor = true
            file.waitingForDescriptor = false
            files[next] = file
            return [.close(victim), file.announced ? .reopen(next) : .open(next)]
        }
        return []
    }

    /// Removes file `id` from every index; returns it, and the actions its freed descriptor allows.
    mutating func forget(_ id: TailedFileID) -> (TrackedFile, [TableAction])? {
        guard let file = files.removeValue(forKey: id) else { return nil }
        if byInode[InodeKey(device: file.identity.device, inode: file.identity.inode)] == id {
            byInode[InodeKey(device: file.identity.device, inode: file.identity.inode)] = nil
        }
        if byPath[file.path] == id { byPath[file.path] = nil }
        awaitingPathCheck.remove(id)
        detached.remove(id)
        var actions: [TableAction] = []
        openFiles.remove(id)
        if file.holdsDescriptor { actions += descriptorFreed() }
        counters.filesOpen = openFiles.count
        counters.filesWatched = files.count
        return (file, actions)
    }

    /// Forgets that `path` names file `id` (if it still does).
    mutating func unmapPath(_ path: String, _ id: TailedFileID) {
        if byPath[path] == id { byPath[path] = nil }
    }

    /// Whether a descriptor check of `id` was asked because its path vanished (and clears it).
    mutating func takePathCheck(_ id: TailedFileID) -> Bool {
        awaitingPathCheck.remove(id) != nil
    }

    /// File `id` turned out to be another inode than its path said.
    mutating func rekey(_ id: TailedFileID, from old: InodeKey, to new: InodeKey) {
        if byInode[old] == id { byInode[old] = nil }
        byInode[new] = id
    }

    /// File `id` gives its descriptor back (closed while idle, or failed to open).
    mutating func giveBackDescriptor(_ id: TailedFileID) -> [TableAction] {
        guard var file = files[id], file.holdsDescriptor else { return [] }
        file.holdsDescriptor = false
        files[id] = file
        openFiles.remove(id)
        counters.filesOpen = openFiles.count
        return descriptorFreed()
    }
}
