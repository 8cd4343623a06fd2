/// Keeps the checkpoint bounded: entries of files gone for longer than `forget_after_hours` are dropped.
public enum CheckpointRetention {
    /// Splits `entries` into those to keep and those to forget: an entry is forgotten when its file has
    /// been gone (``CheckpointEntry/goneSince``) for at least `forgetAfter` at `now`. Order is preserved.
    public static func partition(
        _ entries: [CheckpointEntry], now: WallClockTime, forgetAfter: Duration
    ) -> (kept: [CheckpointEntry], forgotten: [CheckpointEntry]) {
        var kept: [CheckpointEntry] = []
        var forgotten: [CheckpointEntry] = []
        kept.reserveCapacity(entries.count)
        for entry in entries {
            if let gone = entry.goneSince, now.duration(since: gone) >= forgetAfter {
                forgotten.append(entry)
            } else {
                kept.append(entry)
            }
        }
        return (kept, forgotten)
    }
}
