#if canImport(Glibc)
import Glibc
#endif
import DequeModule
import Synchronization
import Logging

/// The tailer's thread: waits on inotify and the wake-up pipe, turns file-system events into observations
/// for the ``FileTable``, performs the table's actions, and reads ready files in turns.
final class TailerLoop {
    /// The configuration.
    let configuration: TailerConfiguration
    /// The caller's logger.
    let logger: Logger
    /// Decides where newly discovered files start.
    let startOffsetHook: Tailer.StartOffsetHook
    /// Receives lines and events.
    let output: Tailer.Consumer
    /// The inputs paused, as last read from ``pausedInputSet``.
    var pausedInputs: Set<Int> = []
    /// ``TailerControl/inputPauses`` when ``pausedInputs`` was read.
    var pausedInputsVersion: UInt64 = 0
    /// Ready files of paused inputs, put back in the queue when their input resumes.
    var parkedByInput: [Int: [TailedFileID]] = [:]
    /// Files whose consumer deferred their lines, with the monotonic time (ms) before which they are not
    /// read again.
    var deferredUntil: [TailedFileID: Int64] = [:]
    /// Flags, counters and wake-up pipe shared with callers.
    let control: TailerControl
    /// Runs first on the thread (tests).
    let threadSetUp: (@Sendable () -> Void)?
    /// Watches after which `ENOSPC` is simulated (tests).
    let simulatedWatchLimit: Int?
    /// Which input owns a path.
    let matcher: InputMatcher
    /// Walks the directories.
    let scanner: DirectoryScanner
    /// One framer per input.
    let framers: [LineFramer]
    /// The decisions.
    var table: FileTable

    /// The inotify instance, nil when polling only.
    var inotify: Inotify?
    /// Whether polling replaces (or completes) inotify.
    var polling = false
    /// Watched directory of each watch descriptor.
    var directoryWatches: [Int32: String] = [:]
    /// Watch descriptor of each watched directory.
    var watchOfDirectory: [String: Int32] = [:]
    /// File of each watch on a symbolic link target.
    var fileWatches: [Int32: TailedFileID] = [:]
    /// Watch on the target of each symbolic link tailed.
    var watchOfFile: [TailedFileID: Int32] = [:]
    /// Open descriptor of each open file.
    var descriptors: [TailedFileID: Int32] = [:]

    /// The read buffer, reused by every turn.
    let readBuffer: UnsafeMutableRawPointer
    /// `read_chunk_bytes` plus room for a partial line read again.
    let readBufferSize: Int
    /// Where long-line heads and flushed partial lines are read (allocated on first use).
    var headBuffer: UnsafeMutableRawPointer?
    /// The largest `max_line_bytes`.
    let headBufferSize: Int
    /// Line records of the current chunk.
    let sink = LineSink()

    /// Whether a full rescan is due (overflow, directory deleted or moved).
    var rescanRequested = false
    /// Actions waiting to be performed.
    var pendingActions: Deque<TableAction> = []
    /// Whether ``perform(_:)`` is draining ``pendingActions``.
    var performing = false
    /// Directory problems already reported.
    var reportedDirectories: Set<String> = []
    /// Interval of the timers (partial lines, idle files, polling of files without watch).
    let tickIntervalMs: Int64

    /// Prepares the loop from the tailer's configuration (compiles the patterns).
    init(tailer: Tailer) throws(TailingError) {
        configuration = tailer.configuration
        logger = tailer.logger
        startOffsetHook = tailer.startOffsetHook
        output = tailer.output
        control = tailer.control
        threadSetUp = tailer.threadSetUp
        simulatedWatchLimit = tailer.simulatedWatchLimit
        matcher = try InputMatcher(configuration.inputs)
        scanner = DirectoryScanner(matcher: matcher)
        framers = configuration.inputs.map { LineFramer(maxLineBytes: $0.maxLineBytes, policy: $0.longLinePolicy) }
        table = FileTable(settings: FileTable.Settings(configuration))
        readBufferSize = configuration.readChunkBytes + LineFramer.defaultRereadLimit
        readBuffer = .allocate(byteCount: readBufferSize, alignment: 64)
        headBufferSize = configuration.inputs.map(\.maxLineBytes).max() ?? TailInput.defaultMaxLineBytes
        var tick = Int64(configuration.pollIntervalMs)
        tick = min(tick, max(10, Int64(configuration.closeInactiveMs) / 4))
        for timeout in configuration.inputs.compactMap(\.partialLineTimeoutMs) {
            tick = min(tick, max(10, Int64(timeout) / 4))
        }
        tickIntervalMs = max(10, tick)
    }

    deinit {
        for descriptor in descriptors.values { close(descriptor) }
        readBuffer.deallocate()
        headBuffer?.deallocate()
    }

    // MARK: The loop

    /// The thread's body: initial scan, then wait, read, repeat until `stop()`.
    func run() {
        threadSetUp?()
        if configuration.watchMethod == .auto {
            switch Inotify.open() {
            case .success(let instance): inotify = instance
            case .failure(let failure): enterPolling(reason: "inotify is unavailable", errno: failure.errno)
            }
        } else {
            polling = true
            table.counters.polling = true
        }
        rescan(origin: .initialScan)
        table.counters.initialScanDone = true
        publish()
        var now = MonotonicClock.milliseconds()
        var nextSweep = now + Int64(configuration.sweepIntervalMs)
        var nextTick = now + tickIntervalMs
        var nextPoll = now + Int64(configuration.pollIntervalMs)
        while !control.stopping.load(ordering: .acquiring) {
            if control.paused.load(ordering: .acquiring) {
                table.counters.paused = true
                publish()
                waitForEvents(timeoutMs: -1, includeInotify: false)
                table.counters.paused = false
                continue
            }
            now = MonotonicClock.milliseconds()
            var deadline = nextSweep
            if !table.openFiles.isEmpty || !table.detached.isEmpty { deadline = min(deadline, nextTick) }
            if polling { deadline = min(deadline, nextPoll) }
            if let due = deferredUntil.values.min() { deadline = min(deadline, due) }
            let timeout = table.hasReadyFiles || rescanRequested ? 0 : Int32(clamping: max(0, deadline - now))
            if waitForEvents(timeoutMs: timeout, includeInotify: true) { processInotify() }
            now = MonotonicClock.milliseconds()
            if rescanRequested {
                rescanRequested = false
                rescan(origin: .sweep)
            }
            if now >= nextSweep {
                table.counters.sweeps += 1
                rescan(origin: .sweep)
                nextSweep = now + Int64(configuration.sweepIntervalMs)
            }
            if polling, now >= nextPoll {
                rescan(origin: .event)
                perform(table.tick(now: now, pollAll: true))
                nextPoll = now + Int64(configuration.pollIntervalMs)
                nextTick = now + tickIntervalMs
            }
            if now >= nextTick {
                perform(table.tick(now: now, pollAll: false))
                nextTick = now + tickIntervalMs
            }
            requeueDeferred(now: now)
            refreshPausedInputs()
            readRound()
            publish()
        }
        publish()
    }

    /// Waits for the wake-up pipe (and inotify); returns whether inotify has records.
    @discardableResult
    private func waitForEvents(timeoutMs: Int32, includeInotify: Bool) -> Bool {
        var fds = [pollfd(fd: control.wakeReader, events: Int16(POLLIN), revents: 0)]
        if includeInotify, let inotify {
            fds.append(pollfd(fd: inotify.descriptor, events: Int16(POLLIN), revents: 0))
        }
        let ready = poll(&fds, nfds_t(fds.count), timeoutMs)
        guard ready > 0 else { return false }
        if fds[0].revents != 0 { control.drainWakeups() }
        return fds.count > 1 && fds[1].revents != 0
    }

    /// Reads the set of paused inputs again when it changed; files of a resumed input go back in the queue.
    func refreshPausedInputs() {
        let version = control.inputPauses.load(ordering: .acquiring)
        guard version != pausedInputsVersion else { return }
        pausedInputsVersion = version
        pausedInputs = control.pausedInputs.withLock { $0 }
        for (input, files) in parkedByInput where !pausedInputs.contains(input) {
            parkedByInput[input] = nil
            for id in files { perform(table.enqueue(id)) }
        }
    }

    /// Puts files whose deferral ended back in the queue.
    func requeueDeferred(now: Int64) {
        guard !deferredUntil.isEmpty else { return }
        for (id, until) in deferredUntil where until <= now {
            deferredUntil[id] = nil
            perform(table.enqueue(id))
        }
    }

    /// Copies the counters where other threads read them.
    func publish() {
        table.counters.directoriesWatched = directoryWatches.count
        let snapshot = table.counters
        control.counters.withLock { $0 = snapshot }
    }

    private func enterPolling(reason: String, errno code: Int32?) {
        guard !polling else { return }
        polling = true
        table.counters.polling = true
        logger.warning(
            "inotify cannot be used, falling back to polling",
            metadata: ["reason": "\(reason)", "errno": "\(code.map { String($0) } ?? "-")"])
        emit(TailEvent(file: nil, kind: .pollingFallback(reason: reason, errno: code)))
    }

    // MARK: Discovery

    /// Walks every input and reconciles: new files, renamed files, files gone; at sweeps also checks every
    /// open descriptor (missed growth, truncation, deletion) and retries files that could not be opened.
    func rescan(origin: ObservationOrigin) {
        // Apply what inotify already queued first: a deletion still in the queue could otherwise be missed
        // by the scan, and its inode seen again under a new file.
        if origin != .initialScan { processInotify() }
        let now = MonotonicClock.milliseconds()
        let result = scanner.scanAll()
        logger.trace("rescan", metadata: ["origin": "\(origin)", "files": "\(result.files.count)"])
        watch(result.directories, removeOthers: true)
        report(result, now: now)
        var seen = Set<String>()
        seen.reserveCapacity(result.files.count)
        for found in result.files {
            seen.insert(found.path)
            perform(table.observe(
                path: found.path, input: found.input, status: found.status, origin: origin, now: now))
            if found.isLink, let id = table.byPath[found.path] { watchLinkTarget(found.path, id) }
        }
        for path in table.trackedPaths where !seen.contains(path) {
            table.pathMissing(path)
        }
        perform(table.endOfBatch(now: now))
        if origin == .sweep {
            for id in table.openFiles.sorted() { perform([.check(id)]) }
            perform(table.retryBlocked())
        }
    }

    /// Walks a directory that appeared.
    private func scanNewDirectory(_ directory: String, now: Int64) {
        guard scanner.isRelevant(directory: directory) else { return }
        let result = scanner.scan(directory: directory)
        watch(result.directories, removeOthers: false)
        report(result, now: now)
        for found in result.files {
            perform(table.observe(path: found.path, input: found.input, status: found.status, origin: .event, now: now))
            if found.isLink, let id = table.byPath[found.path] { watchLinkTarget(found.path, id) }
        }
    }

    private func report(_ result: ScanResult, now: Int64) {
        for path in result.loops { perform(table.symlinkLoop(path)) }
        for (path, code) in result.denied where reportedDirectories.insert("denied:" + path).inserted {
            table.counters.permissionErrors += 1
            logger.warning("directory not readable", metadata: ["file.path": "\(path)", "errno": "\(code)"])
            emit(TailEvent(file: nil, kind: .permissionDenied(path: path, errno: code)))
        }
        for directory in result.undecodable where reportedDirectories.insert("utf8:" + directory).inserted {
            logger.warning("skipping file names that are not UTF-8", metadata: ["file.path": "\(directory)"])
            emit(TailEvent(file: nil, kind: .unsupportedPath(directory: directory)))
        }
    }

    /// Adds inotify watches on `directories`; with `removeOthers`, drops watches on any other directory.
    private func watch(_ directories: [String], removeOthers: Bool) {
        guard let inotify else { return }
        for directory in directories where watchOfDirectory[directory] == nil {
            if let limit = simulatedWatchLimit, directoryWatches.count >= limit {
                enterPolling(reason: "inotify watch limit reached", errno: ENOSPC)
                break
            }
            switch inotify.addWatch(directory, mask: Inotify.directoryMask) {
            case .success(let watch):
                if let previous = directoryWatches[watch], previous != directory { watchOfDirectory[previous] = nil }
                directoryWatches[watch] = directory
                watchOfDirectory[directory] = watch
            case .failure(let failure):
                if failure.errno == ENOSPC || failure.errno == ENOMEM {
                    enterPolling(reason: "inotify watch limit reached", errno: failure.errno)
                } else if failure.errno != ENOENT, failure.errno != ENOTDIR {
                    logger.warning(
                        "cannot watch directory",
                        metadata: ["file.path": "\(directory)", "errno": "\(failure.errno)"])
                }
            }
        }
        guard removeOthers else { return }
        let wanted = Set(directories)
        for (directory, watch) in watchOfDirectory where !wanted.contains(directory) {
            inotify.removeWatch(watch)
            watchOfDirectory[directory] = nil
            directoryWatches[watch] = nil
        }
    }

    // MARK: inotify

    /// Turns a batch of inotify records into observations: changed files are queued, created, renamed and
    /// deleted names are probed with `stat` (renames are matched by inode), new directories walked.
    func processInotify() {
        guard let inotify else { return }
        let now = MonotonicClock.milliseconds()
        var probes: [String] = []
        var probed = Set<String>()
        var newDirectories: [String] = []
        var overflow = false
        var changedFiles: [TailedFileID] = []
        var changedPaths: [String] = []
        var unlinked = Set<String>()
        var deleted = Set<String>()
        var createdInBatch = Set<String>()
        var deletedFirst: [String] = []
        inotify.drain { event in
            logger.trace(
                "inotify",
                metadata: [
                    "watch": "\(event.watch)", "mask": "\(String(event.mask, radix: 16))", "name": "\(event.name ?? "")",
                ])
            if event.has(UInt32(IN_Q_OVERFLOW)) {
                overflow = true
                return
            }
            if let id = fileWatches[event.watch] {
                if event.has(UInt32(IN_IGNORED)) {
                    fileWatches[event.watch] = nil
                    if watchOfFile[id] == event.watch { watchOfFile[id] = nil }
                } else {
                    changedFiles.append(id)
                }
                return
            }
            guard let directory = directoryWatches[event.watch] else { return }
            if event.has(UInt32(IN_IGNORED)) {
                directoryWatches[event.watch] = nil
                if watchOfDirectory[directory] == event.watch { watchOfDirectory[directory] = nil }
                rescanRequested = true
                return
            }
            if event.has(UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) {
                rescanRequested = true
                return
            }
            if event.undecodableName {
                if reportedDirectories.insert("utf8:" + directory).inserted {
                    emit(TailEvent(file: nil, kind: .unsupportedPath(directory: directory)))
                }
                return
            }
            guard let name = event.name else { return }
            let path = directory == "/" ? "/" + name : directory + "/" + name
            if event.has(UInt32(IN_ISDIR)) {
                if event.has(UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) { newDirectories.append(path) }
                if event.has(UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)) { rescanRequested = true }
                return
            }
            if event.mask & ~UInt32(IN_MODIFY) == 0 {
                changedPaths.append(path)
                return
            }
            if event.has(UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) { createdInBatch.insert(path) }
            if event.has(UInt32(IN_DELETE)) {
                deleted.insert(path)
                if !createdInBatch.contains(path) { deletedFirst.append(path) }
            }
            if event.has(UInt32(IN_DELETE) | UInt32(IN_MOVED_FROM)) { unlinked.insert(path) }
            let tracked = table.byPath[path] != nil
            if event.has(UInt32(IN_ATTRIB)), tracked {
                perform(table.attributesChanged(path))
                return
            }
            let relevant = tracked || event.has(UInt32(IN_MOVED_TO)) || matcher.input(for: path) != nil
            if relevant, probed.insert(path).inserted { probes.append(path) }
        }
        if overflow {
            table.counters.overflowRescans += 1
            logger.warning("inotify queue overflow, rescanning every input")
            emit(TailEvent(file: nil, kind: .inotifyOverflow))
            rescanRequested = true
        }
        // Deleted files without descriptor first (their inodes may be reused in this very batch), then names
        // (renames, creations), so that a change is applied to the file now at a path.
        for path in deletedFirst where !trackedFileStillAt(path) { perform(table.pathDeleted(path)) }
        for directory in newDirectories { scanNewDirectory(directory, now: now) }
        probe(probes, now: now, unlinked: unlinked, deleted: deleted)
        for id in changedFiles { perform(table.modified(id, now: now)) }
        var untracked: [String] = []
        for path in changedPaths {
            if let actions = table.pathModified(path, now: now) {
                perform(actions)
            } else if matcher.input(for: path) != nil, probed.insert(path).inserted {
                untracked.append(path)
            }
        }
        if !untracked.isEmpty { probe(untracked, now: now) }
    }

    /// `stat`s each path and reports it to the table: files first, then the paths that vanished (so that a
    /// rename is seen as the new name of a known inode), then resolves what vanished.
    func probe(_ paths: [String], now: Int64, unlinked: Set<String> = [], deleted: Set<String> = []) {
        var missing: [String] = []
        for path in paths {
            let probed = PathProbe.of(path)
            logger.trace("probe", metadata: ["file.path": "\(path)", "result": "\(probed)"])
            switch probed {
            case .file(let status, let isLink):
                let input = matcher.input(for: path)
                perform(table.observe(
                    path: path, input: input, status: status, origin: .event, now: now,
                    unlinked: unlinked.contains(path)))
                if isLink, let id = table.byPath[path] { watchLinkTarget(path, id) }
            case .missing:
                missing.append(path)
            case .loop:
                if matcher.input(for: path) != nil { perform(table.symlinkLoop(path)) }
                missing.append(path)
            case .directory, .other, .denied:
                missing.append(path)
            }
        }
        for path in missing { table.pathMissing(path, deleted: deleted.contains(path)) }
        perform(table.endOfBatch(now: now))
    }

    /// Watches the target of a symbolic link, whose changes its own directory's watch does not report.
    func watchLinkTarget(_ path: String, _ id: TailedFileID) {
        guard let inotify, watchOfFile[id] == nil else { return }
        if case .success(let watch) = inotify.addWatch(path, mask: Inotify.fileMask) {
            fileWatches[watch] = id
            watchOfFile[id] = watch
        }
    }

    /// Delivers an event.
    func emit(_ event: TailEvent) {
        _ = output(.event(event))
    }
}
