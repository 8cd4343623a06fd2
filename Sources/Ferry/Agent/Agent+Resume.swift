import Checkpointing
import FileTailing

#if canImport(Glibc)
import Glibc
#endif

/// What the agent starts from.
struct AgentResumePlan {
    /// Decisions for the files found now, by inode.
    var decisions: [FileIdentityKey: ResumeDecision]
    /// Entries kept in the checkpoint for files not being read: vanished files (until forgotten) and
    /// resumed files until the tailer opens them.
    var carried: [CheckpointEntry]
    /// Where files the checkpoint does not know start, when not the inputs' own rule (unusable checkpoint).
    var unknownStart: StartPosition?
    /// Files resuming from their checkpoint.
    var resumedCount: Int
    /// The tailer configuration, with the rotated files found under names the patterns do not match added
    /// to their inputs (read to their end from the checkpoint).
    var tailerConfiguration: TailerConfiguration
}

extension Agent {
    /// Matches the loaded checkpoint with the files on disk now; counts and logs what was lost while the
    /// agent was down.
    func resumePlan(loaded: CheckpointLoadResult, store: CheckpointStore) throws -> AgentResumePlan {
        var tailerConfiguration = configuration.tailerConfiguration
        var discovery: FileDiscovery.Result
        do {
            discovery = try FileDiscovery.scan(tailerConfiguration)
            // A file rotated while the agent was down (renamed to a name its input does not match) still
            // holds lines not delivered: find it by inode next to its old name and read it to its end.
            let rotated = Self.rotatedAway(entries: loaded.entries, found: discovery.files)
            if !rotated.isEmpty {
                for (inputName, path, entry) in rotated {
                    guard let index = tailerConfiguration.inputs.firstIndex(where: { $0.name == inputName }) else { continue }
                    tailerConfiguration.inputs[index].include.append(Self.globEscaped(path))
                    logger.notice(
                        "file rotated while ferry was stopped; reading the rest of it",
                        metadata: ["file.path": "\(path)", "from": "\(entry.path)", "offset": "\(entry.committedOffset)"])
                }
                discovery = try FileDiscovery.scan(tailerConfiguration)
            }
        } catch {
            throw AgentError(.startup, "cannot scan the inputs: \(error)")
        }
        var unknownStart: StartPosition? = nil
        if case .unusable(let policy) = loaded.outcome {
            unknownStart = policy
            logger.critical(
                "no usable checkpoint: every file starts per on_corrupt_checkpoint",
                metadata: ["state_dir": "\(configuration.stateDirectory)", "policy": "\(policy.rawValue)"])
        }
        let observed = discovery.files.map {
            ObservedFile(path: $0.path, identity: $0.identity, size: $0.size, inputName: $0.input)
        }
        // Entries of an input no longer configured (removed by a reload or an edit) whose file no input reads
        // now are kept as they are: not read, not counted as lost; the input added back resumes them.
        let inputNames = Set(configuration.inputs.map(\.name))
        let observedKeys = Set(observed.map { FileIdentityKey($0.identity) })
        let (planned, parked) = loaded.entries.reduce(into: ([CheckpointEntry](), [CheckpointEntry]())) { split, entry in
            if inputNames.contains(entry.inputName) || observedKeys.contains(FileIdentityKey(entry.identity)) {
                split.0.append(entry)
            } else {
                split.1.append(entry)
            }
        }
        if !parked.isEmpty {
            logger.info(
                "checkpoint entries of inputs no longer configured are kept, not read",
                metadata: ["files": "\(parked.count)", "inputs": "\(Set(parked.map(\.inputName)).sorted().joined(separator: ","))"])
        }
        let plan = ResumePlanner(logger: logger).plan(
            entries: planned, observed: observed, unknownFiles: unknownStart ?? .beginning, now: .now(),
            forgetAfter: .seconds(configuration.forgetAfterHours * 3600))
        for (reason, bytes) in plan.lostBytes where bytes > 0 {
            store.recordLoss(bytes, reason: reason)
            switch reason {
            case .deletedBeforeDelivery: counters.bytesLostDeleted.wrappingIncrement(by: Int(bytes), ordering: .relaxed)
            case .truncatedBeforeDelivery: counters.bytesLostTruncated.wrappingIncrement(by: Int(bytes), ordering: .relaxed)
            }
        }
        var decisions: [FileIdentityKey: ResumeDecision] = [:]
        var carried: [CheckpointEntry] = []
        var resumed = 0
        for decision in plan.decisions {
            decisions[FileIdentityKey(decision.file.identity)] = decision
            if decision.resumesCheckpoint, var entry = decision.entry {
                resumed += 1
                entry.path = decision.file.path
                entry.identity = decision.file.identity
                entry.goneSince = nil  // found again: read, not gone
                carried.append(entry)
            }
        }
        carried += plan.vanished.map(\.entry) + parked
        return AgentResumePlan(
            decisions: decisions, carried: carried, unknownStart: unknownStart, resumedCount: resumed,
            tailerConfiguration: tailerConfiguration)
    }

    /// Checkpoint entries whose file is not among `found` but sits, same device and inode, under another
    /// name in its old directory, with bytes past the committed offset: (input, new path, entry).
    static func rotatedAway(entries: [CheckpointEntry], found: [DiscoveredFile]) -> [(String, String, CheckpointEntry)] {
        let present = Set(found.map { FileIdentityKey($0.identity) })
        var result: [(String, String, CheckpointEntry)] = []
        var listed: [String: [(name: String, key: FileIdentityKey, size: Int64)]] = [:]
        for entry in entries where entry.goneSince == nil && !present.contains(FileIdentityKey(entry.identity)) {
            guard let slash = entry.path.lastIndex(of: "/") else { continue }
            let directory = slash == entry.path.startIndex ? "/" : String(entry.path[..<slash])
            if listed[directory] == nil { listed[directory] = listDirectory(directory) }
            let wanted = FileIdentityKey(entry.identity)
            if let match = listed[directory]?.first(where: { $0.key == wanted }), match.size > entry.committedOffset {
                let path = directory == "/" ? "/\(match.name)" : "\(directory)/\(match.name)"
                result.append((entry.inputName, path, entry))
            }
        }
        return result
    }

    /// The regular files of a directory with their device, inode and size.
    static func listDirectory(_ directory: String) -> [(name: String, key: FileIdentityKey, size: Int64)] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var result: [(String, FileIdentityKey, Int64)] = []
        while let item = readdir(handle) {
            let name = withUnsafePointer(to: item.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            guard name != ".", name != ".." else { continue }
            var info = stat()
            guard stat("\(directory)/\(name)", &info) == 0, info.st_mode & S_IFMT == S_IFREG else { continue }
            result.append((name, FileIdentityKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino)), Int64(info.st_size)))
        }
        return result
    }

    /// `path` as a glob that matches exactly it.
    static func globEscaped(_ path: String) -> String {
        var result = ""
        for character in path {
            if "*?[]\\".contains(character) { result.append("\\") }
            result.append(character)
        }
        return result
    }
}
