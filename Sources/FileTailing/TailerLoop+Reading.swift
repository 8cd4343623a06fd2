#if canImport(Glibc)
import Glibc
#endif
import Logging

extension TailerLoop {
    // MARK: Actions

    /// Performs the table's actions in order. Actions produced while performing one are queued behind the
    /// others (a work queue, not recursion: a chain of hand-overs between thousands of files stays flat).
    func perform(_ actions: [TableAction]) {
        pendingActions.append(contentsOf: actions)
        guard !performing else { return }
        performing = true
        defer { performing = false }
        while let action = pendingActions.popFirst() {
            logger.trace("action", metadata: ["action": "\(action)"])
            switch action {
            case .open(let id): open(id)
            case .reopen(let id): reopen(id)
            case .check(let id): check(id)
            case .close(let id): closeIdle(id)
            case .discard(let id): if let descriptor = descriptors.removeValue(forKey: id) { close(descriptor) }
            case .flushPartial(let id): flushPartial(id)
            case .release(let id, let reason, let flush): release(id, reason: reason, flush: flush)
            case .probe(let path): probe([path], now: MonotonicClock.milliseconds())
            case .emit(let event): emit(event)
            }
        }
    }

    private func open(_ id: TailedFileID) {
        guard let file = table.file(id) else { return }
        let now = MonotonicClock.milliseconds()
        guard let (descriptor, status) = openRegular(id, path: file.path, now: now) else { return }
        let fingerprint = (try? FileFingerprinting.fingerprint(descriptor: descriptor).get()) ?? .empty
        let identity = FileIdentity(device: status.status.device, inode: status.status.inode, fingerprint: fingerprint)
        let input = configuration.inputs[file.input]
        let decision = startOffsetHook(DiscoveredFile(
            path: file.path, input: input.name, identity: identity, size: status.status.size,
            foundByInitialScan: file.foundByInitialScan))
        var boundary: Int64 = 0
        if decision.rule(inputRule: input.startAt) == .end, file.foundByInitialScan {
            boundary = LineBoundary.last(descriptor: descriptor, size: status.status.size, maxLineBytes: input.maxLineBytes)
        }
        var linkInfo = stat()
        if lstat(file.path, &linkInfo) == 0, linkInfo.st_mode & S_IFMT == S_IFLNK { watchLinkTarget(file.path, id) }
        perform(table.opened(
            id, status: status.status, identity: identity, decision: decision, endBoundary: boundary, now: now))
    }

    /// Opens `path` for reading and keeps the descriptor for `id`; a failure (or a path that is not a
    /// regular file) is reported to the table, which schedules the retry.
    private func openRegular(_ id: TailedFileID, path: String, now: Int64) -> (Int32, (status: FileStatus, isRegular: Bool))? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else {
            perform(table.openFailed(id, errno: errno, now: now))
            return nil
        }
        guard let status = Self.status(of: descriptor), status.isRegular else {
            close(descriptor)
            perform(table.openFailed(id, errno: ENOENT, now: now))
            return nil
        }
        descriptors[id] = descriptor
        return (descriptor, status)
    }

    private func reopen(_ id: TailedFileID) {
        guard let file = table.file(id) else { return }
        let now = MonotonicClock.milliseconds()
        guard let (descriptor, status) = openRegular(id, path: file.path, now: now) else { return }
        var same = status.status.device == file.identity.device && status.status.inode == file.identity.inode
        if same { same = (try? FileFingerprinting.matches(file.identity.fingerprint, descriptor: descriptor).get()) ?? false }
        if same, let marker = file.marker {
            same = Self.marker(descriptor, endingAt: marker.offset) == marker
        }
        perform(table.reopened(id, status: status.status, sameContent: same, now: now))
    }

    /// Whether the file tracked at `path` without a descriptor is still the one there (same inode,
    /// fingerprint and offset marker). An inotify delete read late may name an older file of that path whose
    /// inode the tracked one reuses: a probe found the new file before the event was read. Releasing it then
    /// would make the next probe read it again from 0 (seen once in `TailerModelTests` under CI load).
    func trackedFileStillAt(_ path: String) -> Bool {
        guard let id = table.byPath[path], let file = table.file(id), file.phase != .open, file.announced else { return false }
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        guard let status = Self.status(of: descriptor), status.isRegular,
            status.status.device == file.identity.device, status.status.inode == file.identity.inode,
            (try? FileFingerprinting.matches(file.identity.fingerprint, descriptor: descriptor).get()) == true
        else { return false }
        guard let marker = file.marker else { return true }
        return Self.marker(descriptor, endingAt: marker.offset) == marker
    }

    /// `fstat` + fingerprint check of an open file, reported to the table.
    private func check(_ id: TailedFileID) {
        guard let file = table.file(id), let descriptor = descriptors[id] else { return }
        guard let status = Self.status(of: descriptor) else { return }
        let matches = (try? FileFingerprinting.matches(file.identity.fingerprint, descriptor: descriptor).get()) ?? true
        perform(table.descriptorChecked(
            id, status: status.status, fingerprintMatches: matches, now: MonotonicClock.milliseconds()))
    }

    private func closeIdle(_ id: TailedFileID) {
        guard let file = table.file(id), let descriptor = descriptors.removeValue(forKey: id) else { return }
        let marker = Self.marker(descriptor, endingAt: file.framer.lineStart)
        close(descriptor)
        table.closed(id, marker: marker)
    }

    /// Delivers the partial last line (partial-line timeout, or a file being released); false when the
    /// consumer deferred it (it stays pending and is tried again later).
    @discardableResult
    private func flushPartial(_ id: TailedFileID) -> Bool {
        guard let file = table.file(id), let descriptor = descriptors[id] else { return true }
        if let until = deferredUntil[id], until > MonotonicClock.milliseconds() { return false }
        var state = file.framer
        var complete = true
        while let request = framers[file.input].flushPartial(state) {
            if case .deferred(_, let retryAfterMs) = deliverHead(request, file: file, descriptor: descriptor) {
                deferredUntil[id] = MonotonicClock.milliseconds() + Int64(max(retryAfterMs, 1))
                complete = false
                break
            }
            state = request.nextState
        }
        table.partialFlushed(id, state: state, now: MonotonicClock.milliseconds())
        return complete
    }

    private func release(_ id: TailedFileID, reason: ReleaseReason, flush: Bool) {
        // A last line the consumer cannot take now keeps the file: the release is asked for again later.
        if flush, !flushPartial(id) { return }
        deferredUntil[id] = nil
        if let descriptor = descriptors.removeValue(forKey: id) { close(descriptor) }
        if let watch = watchOfFile.removeValue(forKey: id) {
            fileWatches[watch] = nil
            inotify?.removeWatch(watch)
        }
        perform(table.released(id, reason: reason, now: MonotonicClock.milliseconds()))
    }

    // MARK: Reading

    /// One turn for each file that is ready now (a file with more to read goes to the back of the queue).
    /// Files of a paused input wait aside until it resumes; files whose lines were deferred wait for their
    /// time (``requeueDeferred(now:)``).
    func readRound() {
        var turns = table.readyCount
        while turns > 0, !control.paused.load(ordering: .relaxed), !control.stopping.load(ordering: .relaxed),
            let id = table.nextReady()
        {
            turns -= 1
            if deferredUntil[id] != nil { continue }
            if !pausedInputs.isEmpty, let file = table.file(id), pausedInputs.contains(file.input) {
                // It has something to read: it must not be closed as idle while it waits.
                table.parked(id)
                parkedByInput[file.input, default: []].append(id)
                continue
            }
            readTurn(id)
        }
    }

    /// Reads up to one chunk of file `id`, frames it and delivers its lines.
    private func readTurn(_ id: TailedFileID) {
        guard var file = table.file(id), let descriptor = descriptors[id] else { return }
        let now = MonotonicClock.milliseconds()
        if file.atEndOfFile, file.identity.fingerprint.length > 0 {
            // Woken after an idle spell: make sure it was not truncated and refilled meanwhile.
            let same = (try? FileFingerprinting.matches(file.identity.fingerprint, descriptor: descriptor).get()) ?? true
            if !same, let status = Self.status(of: descriptor) {
                perform(table.descriptorChecked(id, status: status.status, fingerprintMatches: false, now: now))
                guard let updated = table.file(id) else { return }
                file = updated
            }
        }
        let framer = framers[file.input]
        var state = file.framer
        let position = framer.readOffset(state)
        let carried = Int(state.scannedTo - position)
        let wanted = min(readBufferSize, carried + configuration.readChunkBytes)
        var count: Int
        repeat {
            count = pread(descriptor, readBuffer, wanted, off_t(position))
        } while count < 0 && errno == EINTR
        if count < 0 {
            let code = errno
            table.counters.readErrors += 1
            logger.warning("read failed", metadata: ["file.path": "\(file.path)", "errno": "\(code)"])
            emit(TailEvent(file: table.view(id), kind: .readError(operation: "pread", errno: code)))
            table.readFailed(id)
            return
        }
        if !file.identity.fingerprint.isComplete, Int64(count) + position > Int64(file.identity.fingerprint.length),
            let fingerprint = try? FileFingerprinting.fingerprint(descriptor: descriptor).get()
        {
            table.fingerprintUpdated(id, fingerprint)
        }
        let atEnd = count < wanted
        if count > 0, let view = table.view(id) {
            let buffer = UnsafeRawBufferPointer(start: readBuffer, count: count)
            var from = 0
            framing: while true {
                let before = state
                let stop = framer.frame(buffer, bufferOffset: position, from: from, state: &state, into: sink)
                if case .deferred(let line, let retryAfterMs) = deliver(view, bytes: buffer) {
                    // The consumer took the lines before `line`: read the file again from there, later.
                    postpone(id, from: Self.rewound(to: line, of: sink.lines, before: before), retryAfterMs: retryAfterMs, now: now)
                    sink.removeAll()
                    return
                }
                sink.removeAll()
                switch stop {
                case .end:
                    break framing
                case .head(let request, let resumeAt):
                    if case .deferred(_, let retryAfterMs) = deliverHead(request, file: file, descriptor: descriptor) {
                        postpone(id, from: state, retryAfterMs: retryAfterMs, now: now)
                        return
                    }
                    state = request.nextState
                    from = resumeAt
                }
            }
        }
        let status = atEnd ? Self.status(of: descriptor)?.status : nil
        perform(table.readCompleted(id, state: state, atEndOfFile: atEnd, status: status, now: now))
    }

    /// The framing state that reads `lines[index]` again: at its offset, continuing a split line when the
    /// line before it (in the chunk, or before the chunk) is a piece of the same long line.
    static func rewound(to index: Int, of lines: UnsafeBufferPointer<TailedLine>, before: FramerState) -> FramerState {
        var state = FramerState(offset: lines[index].offset)
        if index > 0 {
            let previous = lines[index - 1]
            // A piece that does not end its line: no terminator after its content.
            state.continuesSplitLine = previous.flags.contains(.split) && previous.endOffset == previous.offset + Int64(previous.length)
        } else {
            state.continuesSplitLine = before.continuesSplitLine
        }
        return state
    }

    /// The consumer could not take the lines from `state` on: keep that state, and leave the file out of the
    /// queue for `retryAfterMs`.
    private func postpone(_ id: TailedFileID, from state: FramerState, retryAfterMs: Int, now: Int64) {
        table.counters.deferrals += 1
        deferredUntil[id] = now + Int64(max(retryAfterMs, 1))
        table.readDeferred(id, state: state, now: now)
    }

    /// Hands the lines in the sink to the output, and counts those it took. The sink is left as it is (the
    /// caller empties it, after reading it to rewind when the lines were deferred).
    private func deliver(_ file: TailedFile, bytes: UnsafeRawBufferPointer) -> TailVerdict {
        let lines = sink.lines
        guard !lines.isEmpty else { return .accepted }
        let verdict = output(.lines(TailChunk(file: file, bytes: bytes, lines: lines)))
        var taken = lines.count
        if case .deferred(let line, _) = verdict { taken = max(0, min(line, lines.count)) }
        guard taken > 0 else { return verdict }
        let accepted = UnsafeBufferPointer(rebasing: lines[0..<taken])
        table.counters.lines += UInt64(taken)
        table.counters.bytesRead += UInt64(accepted[taken - 1].endOffset - accepted[0].offset)
        for line in accepted where line.flags.rawValue != 0 { count(line) }
        return taken == lines.count ? .accepted : verdict
    }

    private func count(_ line: TailedLine) {
        let terminated = line.endOffset - line.offset > Int64(line.length) || line.flags.contains(.unterminated)
        if line.flags.contains(.split), terminated, !line.flags.contains(.truncated) {
            table.counters.longLinesSplit += 1
        }
        if line.flags.contains(.truncated) { table.counters.longLinesTruncated += 1 }
        if line.flags.contains(.unterminated) { table.counters.unterminatedLines += 1 }
    }

    /// Reads a line whose content is not in the read buffer (long line head, flushed partial) and delivers it.
    private func deliverHead(_ request: HeadRequest, file: TrackedFile, descriptor: Int32) -> TailVerdict {
        if headBuffer == nil { headBuffer = .allocate(byteCount: headBufferSize, alignment: 64) }
        guard let headBuffer, let view = table.view(file.id) else { return .accepted }
        let length = min(request.length, headBufferSize)
        var got = 0
        while got < length {
            let count = pread(descriptor, headBuffer + got, length - got, off_t(request.offset) + off_t(got))
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            got += count
        }
        var line = request.line
        line.length = Int32(got)
        sink.append(line)
        let verdict = deliver(view, bytes: UnsafeRawBufferPointer(start: headBuffer, count: got))
        sink.removeAll()
        return verdict
    }

    // MARK: System helpers

    /// `fstat` of a descriptor, and whether it is a regular file.
    static func status(of descriptor: Int32) -> (status: FileStatus, isRegular: Bool)? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let status = FileStatus(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            linkCount: UInt64(info.st_nlink))
        return (status, info.st_mode & S_IFMT == S_IFREG)
    }

    /// The offset marker of the bytes before `offset` in the open file.
    static func marker(_ descriptor: Int32, endingAt offset: Int64) -> CloseMarker? {
        let length = Int(min(offset, Int64(CloseMarker.maximumLength)))
        guard case .success(let bytes) = FileFingerprinting.read(
            descriptor: descriptor, offset: offset - Int64(length), length: length)
        else { return nil }
        guard bytes.count == length else { return CloseMarker(offset: offset, length: -1, hash: 0) }
        return CloseMarker(offset: offset, length: length, hash: ContentHash.of(bytes))
    }

}
