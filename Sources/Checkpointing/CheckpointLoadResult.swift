/// What loading the checkpoint found, and the entries to resume from.
public struct CheckpointLoadResult: Sendable {
    /// Which generation, if any, was used.
    public enum Outcome: Hashable, Sendable {
        /// No checkpoint exists yet: a first start.
        case fresh
        /// The newest generation was valid and is used.
        case current(generation: UInt64)
        /// A checkpoint copy was damaged or unreadable; the valid generation `generation` is used.
        case recovered(generation: UInt64)
        /// No copy is usable: files start at `policy` (``CheckpointConfiguration/onCorruptCheckpoint``).
        case unusable(policy: StartPosition)
    }

    /// Which generation was used.
    public var outcome: Outcome
    /// The snapshot used (nil when ``Outcome/fresh`` or ``Outcome/unusable(policy:)``).
    public var snapshot: CheckpointSnapshot?
    /// One error per damaged or unreadable checkpoint copy (each was also logged).
    public var problems: [CheckpointError]

    /// Makes a result.
    public init(outcome: Outcome, snapshot: CheckpointSnapshot?, problems: [CheckpointError]) {
        self.outcome = outcome
        self.snapshot = snapshot
        self.problems = problems
    }

    /// The entries to resume from (empty unless a generation was used).
    public var entries: [CheckpointEntry] { snapshot?.entries ?? [] }

    /// Where files the checkpoint does not know should start: the corrupt-checkpoint policy when no
    /// generation was usable, else `defaultPosition` (the agent's choice for new files).
    public func startForUnknownFiles(default defaultPosition: StartPosition) -> StartPosition {
        if case .unusable(let policy) = outcome { return policy }
        return defaultPosition
    }
}
