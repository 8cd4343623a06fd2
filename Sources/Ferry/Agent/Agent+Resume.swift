import Checkpointing
import FileTailing

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
}

extension Agent {
    /// Matches the loaded checkpoint with the files on disk now; counts and logs what was lost while the
    /// agent was down.
    func resumePlan(loaded: CheckpointLoadResult, store: CheckpointStore) throws -> AgentResumePlan {
        let discovery: FileDiscovery.Result
        do {
            discovery = try FileDiscovery.scan(configuration.tailerConfiguration)
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
        let plan = ResumePlanner(logger: logger).plan(
            entries: loaded.entries, observed: observed, unknownFiles: unknownStart ?? .beginning, now: .now(),
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
                carried.append(entry)
            }
        }
        carried += plan.vanished.map(\.entry)
        return AgentResumePlan(decisions: decisions, carried: carried, unknownStart: unknownStart, resumedCount: resumed)
    }
}
