/// The acknowledgement ledgers of every tracked file, keyed by the agent's own file key, plus the set of
/// files whose committed offset moved since the agent last asked (what the next checkpoint must carry).
///
/// A thin, pure wrapper over one ``FileAckLedger`` per file; see that type for the rules.
public struct AckLedger<FileKey: Hashable & Sendable>: Sendable {
    /// The ledger of each tracked file.
    public private(set) var files: [FileKey: FileAckLedger] = [:]
    /// Files whose committed offset moved (or that started or stopped being tracked) since
    /// ``takeChangedFiles()``.
    public private(set) var changedFiles: Set<FileKey> = []

    /// An empty ledger.
    public init() {}

    /// The ledger of `key`, if tracked.
    public subscript(key: FileKey) -> FileAckLedger? { files[key] }

    /// Starts tracking `key` with its committed offset at `offset` (where reading resumes). Replaces
    /// any previous ledger of the same key.
    public mutating func track(_ key: FileKey, committedOffset offset: Int64 = 0, marker: OffsetMarker = .none) {
        files[key] = FileAckLedger(committedOffset: offset, marker: marker)
        changedFiles.insert(key)
    }

    /// Stops tracking `key` and returns its last ledger.
    @discardableResult
    public mutating func untrack(_ key: FileKey) -> FileAckLedger? {
        changedFiles.insert(key)
        return files.removeValue(forKey: key)
    }

    /// ``FileAckLedger/send(_:marker:)`` for file `key`.
    public mutating func send(_ key: FileKey, _ range: Range<Int64>, marker: OffsetMarker) throws(CheckpointError) -> SegmentID {
        guard files[key] != nil else { throw Self.unknown(key) }
        return try files[key]!.send(range, marker: marker)
    }

    /// ``FileAckLedger/skip(_:marker:)`` for file `key`.
    @discardableResult
    public mutating func skip(_ key: FileKey, _ range: Range<Int64>, marker: OffsetMarker) throws(CheckpointError) -> AckOutcome {
        guard files[key] != nil else { throw Self.unknown(key) }
        let outcome = try files[key]!.skip(range, marker: marker)
        if outcome.advanced { changedFiles.insert(key) }
        return outcome
    }

    /// ``FileAckLedger/acknowledge(_:at:)`` for file `key` (``AckOutcome/unknownSegment`` if untracked).
    public mutating func acknowledge(_ key: FileKey, _ id: SegmentID, at time: WallClockTime) -> AckOutcome {
        guard files[key] != nil else { return .unknownSegment }
        let outcome = files[key]!.acknowledge(id, at: time)
        if outcome.advanced { changedFiles.insert(key) }
        return outcome
    }

    /// ``FileAckLedger/fail(_:)`` for file `key`.
    @discardableResult
    public mutating func fail(_ key: FileKey, _ id: SegmentID) -> Range<Int64>? {
        guard files[key] != nil else { return nil }
        return files[key]!.fail(id)
    }

    /// ``FileAckLedger/resend(_:)`` for file `key`.
    @discardableResult
    public mutating func resend(_ key: FileKey, _ id: SegmentID) -> Range<Int64>? {
        guard files[key] != nil else { return nil }
        return files[key]!.resend(id)
    }

    /// ``FileAckLedger/restart(at:marker:)`` for file `key` (nil if untracked).
    public mutating func restart(_ key: FileKey, at offset: Int64 = 0, marker: OffsetMarker = .none) -> LedgerRestart? {
        guard files[key] != nil else { return nil }
        changedFiles.insert(key)
        return files[key]!.restart(at: offset, marker: marker)
    }

    /// Returns the files changed since the last call and clears the set.
    public mutating func takeChangedFiles() -> Set<FileKey> {
        defer { changedFiles.removeAll(keepingCapacity: true) }
        return changedFiles
    }

    private static func unknown(_ key: FileKey) -> CheckpointError {
        CheckpointError(code: .unknownFile, message: "file \(key) is not tracked by the ledger", operation: "ledger")
    }
}
