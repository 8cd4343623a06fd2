#if canImport(Glibc)
import Glibc
#endif

extension FileTable {
    // MARK: Opening

    /// The start offset of a file opened for the first time: the hook's offset, or the input's rule
    /// (`end` applies to files of the initial scan only; `endBoundary` is the end of the last complete line).
    static func startOffset(
        decision: StartDecision, rule: StartAt, foundByInitialScan: Bool, endBoundary: Int64
    ) -> Int64 {
        if case .offset(let offset) = decision { return max(0, offset) }
        return foundByInitialScan && decision.rule(inputRule: rule) == .end ? endBoundary : 0
    }

    /// File `id` was opened: `status` from `fstat`, `identity` with its fingerprint, the hook's `decision`,
    /// and `endBoundary` (offset after the last `\n`, for `start_at: end`).
    mutating func opened(
        _ id: TailedFileID, status: FileStatus, identity: FileIdentity, decision: StartDecision,
        endBoundary: Int64, now: Int64
    ) -> [TableAction] {
        guard var file = file(id) else { return [] }
        let oldKey = InodeKey(device: file.identity.device, inode: file.identity.inode)
        if status.key != oldKey {
            // The path changed hands between stat and open.
            if let other = byInode[status.key], other != id {
                // Already tracked under another name: drop this duplicate quietly.
                file.knownSize = 0
                store(file)
                return [.release(id, .vanished, flushPartial: false)]
            }
            rekey(id, from: oldKey, to: status.key)
        }
        var start = Self.startOffset(
            decision: decision, rule: settings.startRules[file.input],
            foundByInitialScan: file.foundByInitialScan, endBoundary: endBoundary)
        file.identity = identity
        file.phase = .open
        file.announced = true
        file.knownSize = status.size
        file.lastActivity = now
        file.atEndOfFile = false
        var actions = [emit(file, .opened(startOffset: start, foundByInitialScan: file.foundByInitialScan))]
        if start > status.size {
            counters.truncations += 1
            actions.append(emit(file, .truncated(readOffset: start, unreadBytes: 0, newSize: status.size)))
            start = 0
        }
        file.framer = FramerState(offset: start)
        store(file)
        markOpen(id)
        counters.filesDiscovered += 1
        if status.linkCount == 0 { actions += markDeleted(id) }
        if start >= status.size, status.linkCount > 0 {
            // Nothing to read yet (start_at end, or an empty file): idle at once, without a read turn.
            file.atEndOfFile = true
            store(file)
            return actions + markIdle(id)
        }
        actions += enqueue(id)
        return actions
    }

    /// A closed file was reopened: `sameContent` says whether its fingerprint and offset marker still match.
    /// Other bytes on the same inode are a truncation (copytruncate while closed), unless the path was
    /// unlinked meanwhile: then the inode was reused by another file, and the old one is let go.
    mutating func reopened(_ id: TailedFileID, status: FileStatus, sameContent: Bool, now: Int64) -> [TableAction] {
        guard var file = file(id) else { return [] }
        let key = InodeKey(device: file.identity.device, inode: file.identity.inode)
        if status.key != key {
            // The path changed hands before the reopen: the file may have been renamed (its event still
            // queued). Give the descriptor back, wait for the rename, and look at the path as a new file.
            let path = file.path
            return [.discard(id)] + giveBackDescriptor(id) + detach(id, now: now) + [.probe(path)]
        }
        let rename = file.unverifiedRename
        // With nothing read, an empty fingerprint and marker prove nothing; "same file" and "new file" then
        // deliver the same bytes from offset 0. After an unlink of its path, under a matching name it is taken
        // as a new file; under a name that does not match, as the same file moved out (so it is still drained).
        let unverifiable = file.identity.fingerprint.length == 0 && file.inPatterns
        let replaced = (!sameContent || unverifiable) && file.pathWasUnlinked
        file.phase = .open
        file.knownSize = max(file.knownSize, file.framer.scannedTo)
        file.atEndOfFile = false
        file.pathWasUnlinked = false
        file.unverifiedRename = nil
        if replaced {
            // Another file holds the inode now: the old one is let go under its old name, the path read afresh.
            let path = file.path
            if let rename {
                unmapPath(path, id)
                file.path = rename.from
                file.inPatterns = rename.wasInPatterns
            }
            store(file)
            markOpen(id)
            counters.rotations += 1
            return [.release(id, .replaced, flushPartial: false), .probe(path)]
        }
        var actions: [TableAction] = []
        if let rename {
            var before = file
            before.path = rename.from
            before.inPatterns = rename.wasInPatterns
            if let event = renameEvent(before, from: rename.from, to: file.path, matches: file.inPatterns) {
                actions.append(event)
            }
        }
        store(file)
        markOpen(id)
        if !sameContent || status.size < file.framer.scannedTo {
            // Sizes seen while it was closed may be the new content's: only what was scanned counts as seen.
            file.knownSize = file.framer.scannedTo
            store(file)
            return actions + truncated(id, newSize: status.size, now: now)
        }
        file.knownSize = status.size
        store(file)
        return actions + enqueue(id)
    }

    /// Opening file `id` failed with `errno`.
    mutating func openFailed(_ id: TailedFileID, errno code: Int32, now: Int64) -> [TableAction] {
        guard var file = file(id) else { return [] }
        var actions = giveBackDescriptor(id)
        file = self.file(id) ?? file
        switch code {
        case ENOENT:
            // Gone from its path: a known file may have been renamed (the event naming its new path may be
            // in the same batch), so it waits; a file never opened is simply dropped.
            if file.announced {
                file.phase = .closed
                store(file)
                return actions + detach(id, now: now)
            }
            actions.append(.release(id, .vanished, flushPartial: false))
            return actions
        case ELOOP:
            actions += symlinkLoop(file.path)
        case EACCES, EPERM:
            if file.phase != .blocked(errno: code) {
                counters.permissionErrors += 1
                actions.append(emit(file, .permissionDenied(path: file.path, errno: code)))
            }
        default:
            if file.phase != .blocked(errno: code) {
                counters.readErrors += 1
                actions.append(emit(file, .readError(operation: "open", errno: code)))
            }
        }
        file.phase = .blocked(errno: code)
        store(file)
        return actions
    }

    // MARK: Reading

    /// A turn of reading file `id` ended: the framer's new `state`, whether end of file was reached and, if
    /// so, `status` from `fstat` after it.
    mutating func readCompleted(
        _ id: TailedFileID, state: FramerState, atEndOfFile: Bool, status: FileStatus?, now: Int64
    ) -> [TableAction] {
        guard var file = file(id), file.phase == .open else { return [] }
        if state.lineStart != file.framer.lineStart || state.scannedTo > file.framer.scannedTo {
            file.lastActivity = now
        }
        if state.pendingBytes == 0 {
            file.partialSince = nil
        } else if file.partialSince == nil || state.lineStart != file.framer.lineStart {
            file.partialSince = now
        }
        file.framer = state
        file.knownSize = max(file.knownSize, state.scannedTo)
        file.atEndOfFile = atEndOfFile
        store(file)
        guard atEndOfFile, let status else { return enqueue(id) }
        return descriptorChecked(id, status: status, fingerprintMatches: true, now: now)
    }

    /// The consumer deferred the lines of file `id` from `state` on: the framing state goes back there, and
    /// the file stays out of the queue until the loop puts it back (``enqueue(_:)``).
    mutating func readDeferred(_ id: TailedFileID, state: FramerState, now: Int64) {
        guard var file = file(id), file.phase == .open else { return }
        file.framer = state
        file.atEndOfFile = false
        file.partialSince = state.pendingBytes == 0 ? nil : (file.partialSince ?? now)
        store(file)
    }

    /// File `id` was ready but its input is paused: it waits with something to read (not idle: it is not
    /// closed meanwhile), until the loop puts it back in the queue.
    mutating func parked(_ id: TailedFileID) {
        guard var file = file(id), file.phase == .open else { return }
        file.atEndOfFile = false
        store(file)
    }

    /// Reading file `id` failed (reported by the loop): it waits for the next change or sweep.
    mutating func readFailed(_ id: TailedFileID) {
        guard var file = file(id) else { return }
        file.atEndOfFile = true
        store(file)
    }

    /// The descriptor of file `id` was examined: `status` from `fstat`, and whether its first bytes still
    /// match its fingerprint.
    mutating func descriptorChecked(
        _ id: TailedFileID, status: FileStatus, fingerprintMatches: Bool, now: Int64
    ) -> [TableAction] {
        guard var file = file(id), file.phase == .open else { return [] }
        var actions: [TableAction] = []
        if takePathCheck(id), status.linkCount > 0, file.inPatterns {
            counters.rotations += 1
            actions.append(emit(file, .movedOut(from: file.path, to: nil)))
            file.inPatterns = false
            store(file)
        }
        if status.linkCount == 0, !file.deleted { actions += markDeleted(id) }
        if !fingerprintMatches || status.size < file.framer.scannedTo {
            return actions + truncated(id, newSize: status.size, now: now)
        }
        file = self.file(id) ?? file
        if status.size > file.knownSize { file.lastActivity = now }
        file.knownSize = status.size
        store(file)
        if status.size > file.framer.scannedTo { return actions + enqueue(id) }
        if file.atEndOfFile {
            if file.deleted { return actions + [.release(id, .deleted, flushPartial: true)] }
            actions += markIdle(id)
        } else {
            actions += enqueue(id)
        }
        return actions
    }

    /// The loop noticed that file `id` shrank below what was read, or was rewritten in place.
    mutating func truncated(_ id: TailedFileID, newSize: Int64, now: Int64) -> [TableAction] {
        guard var file = file(id) else { return [] }
        let seen = max(file.knownSize, file.framer.scannedTo)
        let unread = max(0, seen - file.framer.lineStart)
        counters.truncations += 1
        counters.truncatedUnreadBytes += UInt64(unread)
        let event = emit(file, .truncated(readOffset: file.framer.lineStart, unreadBytes: unread, newSize: newSize))
        file.framer = FramerState(offset: 0)
        file.identity.fingerprint = .empty
        file.knownSize = newSize
        file.partialSince = nil
        file.lastActivity = now
        file.atEndOfFile = false
        store(file)
        return [event] + enqueue(id)
    }

    /// File `id` is deleted (its descriptor still reads): drain it, then release it.
    private mutating func markDeleted(_ id: TailedFileID) -> [TableAction] {
        guard var file = file(id) else { return [] }
        file.deleted = true
        file.inPatterns = false
        counters.deletions += 1
        let event = emit(file, .deleted)
        store(file)
        unmapPath(file.path, id)
        return [event]
    }

    /// The fingerprint of file `id` grew.
    mutating func fingerprintUpdated(_ id: TailedFileID, _ fingerprint: FileFingerprint) {
        guard var file = file(id) else { return }
        file.identity.fingerprint = fingerprint
        store(file)
    }

    /// The partial line of file `id` was delivered (timeout or release).
    mutating func partialFlushed(_ id: TailedFileID, state: FramerState, now: Int64) {
        guard var file = file(id) else { return }
        file.framer = state
        file.partialSince = nil
        file.lastActivity = now
        store(file)
    }

    /// File `id`'s descriptor was closed while idle; `marker` hashes the bytes before its read offset.
    mutating func closed(_ id: TailedFileID, marker: CloseMarker?) {
        guard var file = file(id) else { return }
        file.marker = marker
        store(file)
    }

    /// File `id` was released (its descriptor closed): report it and forget it.
    mutating func released(_ id: TailedFileID, reason: ReleaseReason, now: Int64) -> [TableAction] {
        guard let (file, actions) = forget(id) else { return [] }
        let finalOffset = file.framer.lineStart
        let lastKnownSize = max(file.knownSize, file.framer.scannedTo)
        if lastKnownSize > finalOffset {
            counters.releasedWithUnreadBytes += 1
            counters.releasedUnreadBytes += UInt64(lastKnownSize - finalOffset)
        }
        guard file.announced || lastKnownSize > 0 else { return actions }
        let event = emit(file, .released(reason: reason, finalOffset: finalOffset, lastKnownSize: lastKnownSize))
        return [event] + actions
    }

    // MARK: Time

    /// Timers: partial-line timeouts, closing idle files, releasing files that moved away once idle, and
    /// read attempts on open files no watch may cover (moved away, deleted) or on all files when polling.
    mutating func tick(now: Int64, pollAll: Bool) -> [TableAction] {
        var actions: [TableAction] = []
        for id in detached.sorted() {
            guard let file = file(id), let since = file.detachedAt, now - since >= Self.detachGraceMs else { continue }
            actions.append(.release(id, .vanished, flushPartial: false))
        }
        for id in openFiles.sorted() {
            guard let file = file(id), file.phase == .open else { continue }
            let idleFor = now - file.lastActivity
            if !file.inPatterns || file.deleted {
                if file.isIdleAtEnd, idleFor >= settings.closeInactiveMs {
                    actions.append(.release(id, file.deleted ? .deleted : .movedOut, flushPartial: true))
                } else {
                    actions += enqueue(id)
                }
                continue
            }
            if let timeout = settings.partialTimeoutsMs[file.input], let since = file.partialSince,
                file.atEndOfFile, now - since >= Int64(timeout)
            {
                actions.append(.flushPartial(id))
            }
            if file.isIdleAtEnd, idleFor >= settings.closeInactiveMs {
                actions += closeIdle(id)
            } else if pollAll {
                actions += enqueue(id)
            }
        }
        return actions
    }

    /// Closes an idle file (its descriptor goes to a waiting file, if any).
    private mutating func closeIdle(_ id: TailedFileID) -> [TableAction] {
        guard var file = file(id) else { return [] }
        file.phase = .closed
        file.queued = false
        store(file)
        return [.close(id)] + giveBackDescriptor(id)
    }

    /// The path of every file that no longer exists where it was last seen, for the sweep; returns paths
    /// of tracked files that match their input.
    var trackedPaths: [String] {
        byPath.compactMap { path, id in files[id]?.inPatterns == true ? path : nil }
    }
}
