import Checkpointing
import FileTailing

/// The checkpoint snapshots of the SIGKILL crash test: `ferry-testkit checkpoint-crash-child` commits
/// them, generation after generation, and `CheckpointCrashTests` checks that what reloads after a kill is
/// exactly one of them. Both sides compute them here, so they cannot drift apart.
public enum CrashSnapshots {
    /// The snapshot of generation `generation` for a run seeded with `seed`.
    public static func entries(seed: UInt64, generation: UInt64, count: Int) -> [CheckpointEntry] {
        (0..<count).map { index in
            let key = seed ^ (UInt64(index) << 32)
            let offset = Int64(generation) * 4096 + Int64(mix(key ^ generation) % 4096)
            return CheckpointEntry(
                identity: FileIdentity(
                    device: 64769, inode: 10_000 + UInt64(index) * 7,
                    fingerprint: FileFingerprint(length: 1024, hash: mix(key))
                ),
                path: "/var/log/crash/app-\(index).log",
                inputName: index % 3 == 0 ? "system" : "apps",
                committedOffset: offset,
                marker: OffsetMarker(length: 64, hash: mix(UInt64(offset) ^ key)),
                knownSize: offset + Int64(mix(key ^ ~generation) % 100_000),
                updatedAt: WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(generation)),
                lastAcknowledgedAt: WallClockTime(millisecondsSinceEpoch: 1_700_000_000_000 + Int64(generation)),
                goneSince: index % 10 == 0 ? WallClockTime(millisecondsSinceEpoch: 1_699_999_000_000) : nil
            )
        }
    }

    /// SplitMix64's finaliser.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
