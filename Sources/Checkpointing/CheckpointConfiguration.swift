/// Where reading starts in a file the checkpoint cannot place.
public enum StartPosition: String, Hashable, Sendable, CaseIterable {
    /// Offset 0: everything is (re)sent. Never loses lines; may duplicate.
    case beginning
    /// The file's current end: only new lines are sent. Never duplicates; loses what was not delivered.
    case end
}

/// The checkpoint options of the configuration file.
public struct CheckpointConfiguration: Hashable, Sendable {
    /// `state_directory`: where the checkpoint and its lock live (created 0700). No default in the store;
    /// the agent's configuration supplies one.
    public var directory: String
    /// `checkpoint_interval_ms` (default 1000): the least time between the starts of two checkpoint
    /// writes. A write happens only when something changed, and always on shutdown.
    public var interval: Duration
    /// `forget_after_hours` (default 24): entries of files gone for longer than this are dropped.
    public var forgetAfter: Duration
    /// `on_corrupt_checkpoint` (default `beginning`): where files start when no generation of the
    /// checkpoint is usable (both copies torn or corrupt).
    public var onCorruptCheckpoint: StartPosition
    /// The longest wait between retries of a failing checkpoint write (default 5 s; never shorter than
    /// ``interval``). Not a configuration key.
    public var maximumRetryDelay: Duration

    /// The defaults for state directory `directory`.
    public init(
        directory: String,
        interval: Duration = .milliseconds(1000),
        forgetAfter: Duration = .seconds(24 * 3600),
        onCorruptCheckpoint: StartPosition = .beginning,
        maximumRetryDelay: Duration = .seconds(5)
    ) {
        self.directory = directory
        self.interval = interval
        self.forgetAfter = forgetAfter
        self.onCorruptCheckpoint = onCorruptCheckpoint
        self.maximumRetryDelay = maximumRetryDelay
    }
}
