/// One generation of the checkpoint: every tracked file, as written by one commit.
public struct CheckpointSnapshot: Hashable, Sendable {
    /// The commit number: 1 for the first commit in a state directory, +1 per successful commit.
    public var generation: UInt64
    /// When it was written.
    public var writtenAt: WallClockTime
    /// One entry per tracked file.
    public var entries: [CheckpointEntry]

    /// Makes a snapshot.
    public init(generation: UInt64, writtenAt: WallClockTime, entries: [CheckpointEntry]) {
        self.generation = generation
        self.writtenAt = writtenAt
        self.entries = entries
    }
}
