import Checkpointing
import FileTailing

extension Pipeline {
    /// A lifecycle event from the tailer (tailer thread).
    func handle(_ event: TailEvent) {
        let file = event.file
        switch event.kind {
        case .opened(let startOffset, let initial):
            guard let file, let input = inputs[file.input] else { return }
            var state = ReadingState(
                input: input.configuration, inputIndex: input.index, path: file.path, hostName: hostName, start: startOffset)
            setRooms(&state)
            reading[file.id] = state
            shared.withLock { shared in
                let key = FileIdentityKey(file.identity)
                let carried = shared.carried.removeValue(forKey: key)
                let marker = carried.map { $0.committedOffset == startOffset ? $0.marker : .none } ?? .none
                shared.ledger.track(file.id, committedOffset: startOffset, marker: marker)
                shared.files[file.id] = FileRecord(path: file.path, identity: file.identity, input: file.input, knownSize: startOffset)
                shared.changed = true
            }
            logger.info(
                "reading file",
                metadata: ["file.path": "\(file.path)", "input": "\(file.input)", "offset": "\(startOffset)",
                           "found_by": "\(initial ? "initial scan" : "watch")"])
            onChange()
        case .renamed(let from, let to):
            guard let file else { return }
            if var state = reading[file.id] {
                state.renamed(to: to, hostName: hostName)
                setRooms(&state)
                reading[file.id] = state
            }
            updatePath(file.id, to)
            logger.info("file renamed; reading on", metadata: ["file.path": "\(to)", "from": "\(from)"])
        case .movedOut(let from, let to):
            guard let file else { return }
            if let to { updatePath(file.id, to) }
            logger.info("file moved out of the patterns; reading it to its end", metadata: ["file.path": "\(to ?? from)", "from": "\(from)"])
        case .deleted:
            guard let file else { return }
            logger.info("file deleted; reading what it holds", metadata: ["file.path": "\(file.path)"])
        case .truncated(let readOffset, let unreadBytes, let newSize):
            guard let file else { return }
            truncated(file, readOffset: readOffset, unreadBytes: unreadBytes, newSize: newSize)
        case .released(let reason, let finalOffset, let lastKnownSize):
            guard let file else { return }
            released(file, reason: reason, finalOffset: finalOffset, lastKnownSize: lastKnownSize)
        case .readError(let operation, let errno):
            logger.error(
                "cannot read file; retrying",
                metadata: ["file.path": "\(file?.path ?? "?")", "operation": "\(operation)", "errno": "\(errno)"])
        case .permissionDenied(let path, let errno):
            logger.error("permission denied; retrying when it changes", metadata: ["file.path": "\(path)", "errno": "\(errno)"])
        case .symlinkLoop(let path):
            logger.error("symbolic link loop; not followed", metadata: ["file.path": "\(path)"])
        case .inotifyOverflow:
            logger.warning("inotify queue overflowed; rescanning every input")
        case .pollingFallback(let reason, let errno):
            logger.warning("inotify unavailable; polling instead", metadata: ["reason": "\(reason)", "errno": "\(errno.map { "\($0)" } ?? "-")"])
        case .unsupportedPath(let directory):
            logger.error("a file name is not valid UTF-8; skipped", metadata: ["directory": "\(directory)"])
        }
    }

    private func updatePath(_ id: TailedFileID, _ path: String) {
        shared.withLock { shared in
            shared.files[id]?.path = path
            shared.changed = true
        }
        onChange()
    }

    /// Copytruncate (or a rewrite): the file restarts at 0 in a new ledger generation; what was seen but
    /// never read is lost and counted.
    private func truncated(_ file: TailedFile, readOffset: Int64, unreadBytes: Int64, newSize: Int64) {
        var lost = unreadBytes
        if let partial = reading[file.id]?.partial { lost += partial.endOffset - partial.startOffset }
        reading[file.id]?.partial = nil
        reading[file.id]?.pieces = nil
        reading[file.id]?.nextSegmentStart = 0
        shared.withLock { shared in
            _ = shared.ledger.restart(file.id, at: 0, marker: .none)
            if var record = shared.files[file.id] {
                record.knownSize = newSize
                record.identity = file.identity
                shared.files[file.id] = record
            }
            shared.changed = true
        }
        if lost > 0 {
            counters.bytesLostTruncated.wrappingIncrement(by: Int(lost), ordering: .relaxed)
            logger.error(
                "bytes lost: the file was truncated before they were read",
                metadata: ["file.path": "\(file.path)", "bytes": "\(lost)", "reason": "truncated_before_delivery"])
        }
        logger.warning(
            "file truncated; reading restarts at 0",
            metadata: ["file.path": "\(file.path)", "read.offset": "\(readOffset)", "size": "\(newSize)"])
        onChange()
    }

    /// The tailer let the file go: pending container pieces are sent as they are, and bytes never read
    /// are counted as lost.
    private func released(_ file: TailedFile, reason: ReleaseReason, finalOffset: Int64, lastKnownSize: Int64) {
        if var state = reading[file.id], state.partial != nil, reason != .stopped {
            // The record being gathered is complete now: send it (or as soon as the producer takes it).
            state.partial!.complete = true
            releasedPending[file.id] = (file, state)
            retryReleased()
        }
        reading[file.id] = nil
        let lost = reason == .stopped ? 0 : max(0, lastKnownSize - finalOffset)
        shared.withLock { shared in
            shared.files[file.id]?.releasedAt = .now()
            shared.changed = true
        }
        if lost > 0 {
            counters.bytesLostDeleted.wrappingIncrement(by: Int(lost), ordering: .relaxed)
            logger.error(
                "bytes lost: the file went away before they were read",
                metadata: ["file.path": "\(file.path)", "bytes": "\(lost)", "reason": "deleted_before_delivery",
                           "release": "\(reason.rawValue)"])
        }
        if reason != .stopped {
            logger.info("file released", metadata: ["file.path": "\(file.path)", "reason": "\(reason.rawValue)", "offset": "\(finalOffset)"])
        }
        onChange()
    }
}
