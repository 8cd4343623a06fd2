#if canImport(Glibc)
import Glibc
#endif
import Checkpointing
import FileTailing

extension Pipeline {
    /// The checkpoint as it stands: one entry per tracked file (committed offset and marker from the
    /// ledger), plus carried entries not read now. Files released and fully acknowledged longer than
    /// `forgetAfter` ago are dropped for good. Clears the "changed" flag.
    func checkpointEntries(now: WallClockTime, forgetAfter: Duration) -> [CheckpointEntry] {
        shared.withLock { shared in
            shared.changed = false
            var entries: [CheckpointEntry] = []
            var forgotten: [TailedFileID] = []
            for (id, ledger) in shared.ledger.files {
                guard let record = shared.files[id] else { continue }
                let settled = ledger.committedOffset == ledger.highestSentOffset
                if let released = record.releasedAt, settled, released.advanced(by: forgetAfter) < now {
                    forgotten.append(id)
                    continue
                }
                // A released file is "gone" in the checkpoint only once every byte sent from it is
                // acknowledged. Until then it is a file with lines in flight: after a crash, the restart
                // must look for it (rotated under a name the patterns do not match, it still holds them)
                // and, if it is really gone, count those lines as lost.
                entries.append(CheckpointEntry(
                    identity: record.identity, path: record.path, inputName: record.input,
                    committedOffset: ledger.committedOffset, marker: ledger.committedMarker,
                    knownSize: max(record.knownSize, ledger.highestSentOffset), updatedAt: now,
                    lastAcknowledgedAt: ledger.lastAcknowledgement, goneSince: settled ? record.releasedAt : nil))
            }
            for id in forgotten {
                _ = shared.ledger.untrack(id)
                shared.files[id] = nil
            }
            for (key, entry) in shared.carried {
                if let gone = entry.goneSince, gone.advanced(by: forgetAfter) < now {
                    shared.carried[key] = nil
                    continue
                }
                entries.append(entry)
            }
            return entries
        }
    }

    /// Whether anything changed since the last ``checkpointEntries(now:forgetAfter:)``.
    var hasChanges: Bool { shared.withLock { $0.changed } }

    /// Per-file progress for logs and status: path, committed offset, highest offset sent, bytes in flight.
    func progress() -> [(path: String, committed: Int64, sent: Int64, inFlight: Int64)] {
        shared.withLock { shared in
            shared.ledger.files.compactMap { id, ledger in
                shared.files[id].map { ($0.path, ledger.committedOffset, ledger.highestSentOffset, ledger.bytesInFlight) }
            }
        }
    }
}

extension Pipeline {
    /// Bytes of each tracked file, still at its path and not released, that Kafka has not acknowledged:
    /// its size on disk (`stat`) minus its committed offset. For `/metrics` (lag) and `/health` (pending).
    func lagOnDisk() -> [(input: String, path: String, lag: Int64)] {
        let files = shared.withLock { shared in
            shared.ledger.files.compactMap { id, ledger -> (String, String, FileIdentity, Int64)? in
                guard let record = shared.files[id], record.releasedAt == nil else { return nil }
                return (record.input, record.path, record.identity, ledger.committedOffset)
            }
        }
        return files.compactMap { input, path, identity, committed in
            var info = stat()
            guard stat(path, &info) == 0, UInt64(info.st_ino) == identity.inode, UInt64(info.st_dev) == identity.device else {
                return nil
            }
            return (input, path, max(0, Int64(info.st_size) - committed))
        }
    }
}
