import FileTailing
import Logging

/// Decides, at start, where each file found on disk resumes, by matching it with the loaded checkpoint
/// entries. Decisions are values; the only I/O is reading a few bytes of the files through a
/// ``FileContentReading`` to verify fingerprints and offset markers (two `pread`s per resumed file at most).
///
/// For each observed file, entries with the same device and inode are candidates. A candidate is verified
/// when the file is at least as long as the committed offset, its first bytes still match the stored
/// fingerprint, and the bytes before the committed offset still match the stored ``OffsetMarker``: the
/// file resumes there (``ResumeDecision/Reason/unchanged``, or ``ResumeDecision/Reason/renamed(from:)``
/// when the path changed). A candidate at the same path that fails verification means the file was
/// truncated or rewritten: start at 0, and the bytes it held past the committed offset are lost. A file
/// with no candidate is new, or ``ResumeDecision/Reason/replaced(previousIdentity:)`` if an unmatched entry
/// had its path. Entries matched by no file vanished: their undelivered bytes are counted as lost
/// (`deleted_before_delivery`) the first time, and they are kept with ``CheckpointEntry/goneSince`` until
/// `forget_after_hours`.
public struct ResumePlanner {
    private struct InodeKey: Hashable {
        var device: UInt64
        var inode: UInt64
        /// The device and inode of `identity`.
        init(_ identity: FileIdentity) {
            device = identity.device
            inode = identity.inode
        }
    }

    private enum Verification {
        case verified
        case truncated
        case rewritten
        case unreadable(FileIOFailure)
    }

    private let reader: any FileContentReading
    private let logger: Logger

    /// A planner reading files through `reader` and logging its decisions to `logger`.
    public init(reader: any FileContentReading = PosixFileContentReader(), logger: Logger) {
        self.reader = reader
        self.logger = logger
    }

    /// Plans the resume of `observed` files from checkpoint `entries`.
    /// - Parameters:
    ///   - unknownFiles: where files without an entry start (see ``CheckpointLoadResult/startForUnknownFiles(default:)``).
    ///   - now: the time recorded as ``CheckpointEntry/goneSince`` for newly vanished entries.
    ///   - forgetAfter: entries gone at least this long are forgotten.
    public func plan(
        entries: [CheckpointEntry], observed: [ObservedFile], unknownFiles: StartPosition,
        now: WallClockTime, forgetAfter: Duration
    ) -> ResumePlan {
        var entriesByInode: [InodeKey: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            entriesByInode[InodeKey(entry.identity), default: []].append(index)
        }
        var used = [Bool](repeating: false, count: entries.count)
        var decisions = [ResumeDecision?](repeating: nil, count: observed.count)
        var firstObserver: [InodeKey: Int] = [:]
        var aliases: [Int: Int] = [:]

        for (position, file) in observed.enumerated() {
            let key = InodeKey(file.identity)
            if let first = firstObserver[key] {
                aliases[position] = first
                continue
            }
            firstObserver[key] = position
            let candidates = (entriesByInode[key] ?? []).filter { !used[$0] }.sorted { left, right in
                let leftSame = entries[left].path == file.path
                let rightSame = entries[right].path == file.path
                if leftSame != rightSame { return leftSame }
                return entries[left].updatedAt > entries[right].updatedAt
            }
            var fallback: (index: Int, verification: Verification)?
            for candidate in candidates {
                let entry = entries[candidate]
                let verification = verify(entry, against: file)
                if case .verified = verification {
                    used[candidate] = true
                    decisions[position] = ResumeDecision(
                        file: file, startOffset: entry.committedOffset, marker: entry.marker,
                        reason: entry.path == file.path ? .unchanged : .renamed(from: entry.path), entry: entry
                    )
                    break
                }
                if fallback == nil, entry.path == file.path { fallback = (candidate, verification) }
            }
            if decisions[position] == nil, let fallback {
                used[fallback.index] = true
                let entry = entries[fallback.index]
                let lost = entry.goneSince == nil ? entry.undeliveredBytes : 0
                let reason: ResumeDecision.Reason
                switch fallback.verification {
                case .truncated: reason = .truncated(previousOffset: entry.committedOffset)
                case .unreadable(let failure): reason = .unverifiable(failure)
                case .rewritten, .verified: reason = .rewritten(previousOffset: entry.committedOffset)
                }
                let unverifiable = if case .unverifiable = reason { true } else { false }
                decisions[position] = ResumeDecision(
                    file: file, startOffset: 0, marker: .none, reason: reason, entry: entry,
                    lostBytes: unverifiable ? 0 : lost
                )
            }
        }

        var unusedByPath: [String: Int] = [:]
        for (index, entry) in entries.enumerated() where !used[index] {
            if let existing = unusedByPath[entry.path], entries[existing].updatedAt >= entry.updatedAt { continue }
            unusedByPath[entry.path] = index
        }
        for (position, file) in observed.enumerated() where decisions[position] == nil && aliases[position] == nil {
            if let previous = unusedByPath[file.path] {
                decisions[position] = ResumeDecision(
                    file: file, startOffset: 0, marker: .none,
                    reason: .replaced(previousIdentity: entries[previous].identity), entry: entries[previous]
                )
            } else {
                decisions[position] = newFileDecision(file, start: unknownFiles)
            }
        }

        for (position, first) in aliases {
            guard let earlier = decisions[first] else { continue }
            decisions[position] = ResumeDecision(
                file: observed[position], startOffset: earlier.startOffset, marker: earlier.marker,
                reason: .sameFileAs(path: earlier.file.path), entry: earlier.entry
            )
        }

        var plan = ResumePlan(decisions: decisions.compactMap { $0 }, vanished: [], forgotten: [], lostBytes: [:])
        for decision in plan.decisions {
            log(decision)
            if decision.lostBytes > 0 { plan.lostBytes[.truncatedBeforeDelivery, default: 0] += decision.lostBytes }
        }
        for (index, original) in entries.enumerated() where !used[index] {
            var entry = original
            var lost: Int64 = 0
            if entry.goneSince == nil {
                entry.goneSince = now
                lost = entry.undeliveredBytes
                if lost > 0 {
                    plan.lostBytes[.deletedBeforeDelivery, default: 0] += lost
                    logger.error(
                        "bytes lost",
                        metadata: [
                            "reason": "\(LossReason.deletedBeforeDelivery.rawValue)", "bytes": "\(lost)",
                            "file.path": "\(entry.path)", "file.identity": "\(entry.identity)",
                            "offset.committed": "\(entry.committedOffset)", "file.size.known": "\(entry.knownSize)",
                        ]
                    )
                } else {
                    logger.info("tracked file is gone; everything was delivered", metadata: ["file.path": "\(entry.path)"])
                }
            }
            if let gone = entry.goneSince, now.duration(since: gone) >= forgetAfter {
                plan.forgotten.append(entry)
            } else {
                plan.vanished.append(VanishedFile(entry: entry, lostBytes: lost))
            }
        }
        return plan
    }

    private func verify(_ entry: CheckpointEntry, against file: ObservedFile) -> Verification {
        if file.size < entry.committedOffset { return .truncated }
        do throws(FileIOFailure) {
            let stored = entry.identity.fingerprint
            let current = file.identity.fingerprint
            if stored.length > current.length { return .rewritten }
            if stored.length == current.length {
                if stored.hash != current.hash { return .rewritten }
            } else if stored.length > 0 {
                let read = try reader.hashBytes(path: file.path, identity: file.identity, offset: 0, length: stored.length)
                if read.count != stored.length || read.hash != stored.hash { return .rewritten }
            }
            let marker = entry.marker
            if marker.length > 0 {
                let read = try reader.hashBytes(
                    path: file.path, identity: file.identity,
                    offset: entry.committedOffset - Int64(marker.length), length: marker.length
                )
                if read.count != marker.length || read.hash != marker.hash { return .rewritten }
            }
            return .verified
        } catch {
            return .unreadable(error)
        }
    }

    private func newFileDecision(_ file: ObservedFile, start: StartPosition) -> ResumeDecision {
        guard start == .end, file.size > 0 else {
            return ResumeDecision(file: file, startOffset: 0, marker: .none, reason: .new)
        }
        let length = Int(min(file.size, Int64(OffsetMarker.maximumLength)))
        var marker = OffsetMarker.none
        if let read = try? reader.hashBytes(path: file.path, identity: file.identity, offset: file.size - Int64(length), length: length),
           read.count == length {
            marker = OffsetMarker(length: length, hash: read.hash)
        }
        return ResumeDecision(file: file, startOffset: file.size, marker: marker, reason: .new)
    }

    private func log(_ decision: ResumeDecision) {
        let path = decision.file.path
        switch decision.reason {
        case .unchanged:
            logger.debug("resuming file at its checkpoint", metadata: ["file.path": "\(path)", "offset": "\(decision.startOffset)"])
        case .renamed(let previous):
            logger.info(
                "following renamed file from its checkpoint",
                metadata: ["file.path": "\(path)", "file.path.previous": "\(previous)", "offset": "\(decision.startOffset)"]
            )
        case .truncated(let previousOffset), .rewritten(let previousOffset):
            let kind = if case .truncated = decision.reason { "truncated" } else { "rewritten" }
            logger.warning(
                "file was truncated or rewritten since the checkpoint; reading from offset 0",
                metadata: ["file.path": "\(path)", "change": "\(kind)", "offset.previous": "\(previousOffset)", "file.size": "\(decision.file.size)"]
            )
            if decision.lostBytes > 0 {
                logger.error(
                    "bytes lost",
                    metadata: [
                        "reason": "\(LossReason.truncatedBeforeDelivery.rawValue)", "bytes": "\(decision.lostBytes)",
                        "file.path": "\(path)", "offset.committed": "\(previousOffset)",
                    ]
                )
            }
        case .replaced(let previous):
            logger.warning(
                "a different file replaced a checkpointed path; reading from offset 0",
                metadata: ["file.path": "\(path)", "file.identity": "\(decision.file.identity)", "file.identity.previous": "\(previous)"]
            )
        case .new:
            logger.debug("new file", metadata: ["file.path": "\(path)", "offset": "\(decision.startOffset)"])
        case .sameFileAs(let other):
            logger.warning("same file found under two paths; tail it once", metadata: ["file.path": "\(path)", "file.path.other": "\(other)"])
        case .unverifiable(let failure):
            logger.warning(
                "cannot verify the checkpoint of a file; reading from offset 0",
                metadata: ["file.path": "\(path)", "error": "\(failure)"]
            )
        }
    }
}
