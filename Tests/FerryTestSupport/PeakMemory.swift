import Foundation

/// Peak resident memory of a process, from `VmHWM` in `/proc/PID/status`.
///
/// Not `ru_maxrss`: a child started with `posix_spawn` (which Foundation, Python and the tests use, and which
/// runs on `vfork`) inherits at `exec` the high-water mark of its parent's memory, so `ru_maxrss` of a small
/// agent started by a 1 GiB test runner reads 1 GiB. `VmHWM` belongs to the process's own address space.
public enum PeakMemory {
    /// `VmHWM` of `pid` in KiB (`nil` once the process is gone).
    public static func highWaterKiB(pid: pid_t) -> Int? {
        field("VmHWM:", statusPath: "/proc/\(pid)/status")
    }

    /// `VmHWM` of this process in KiB.
    public static func ownHighWaterKiB() -> Int? {
        field("VmHWM:", statusPath: "/proc/self/status")
    }

    /// Resident memory of `pid` now (`VmRSS`), in KiB.
    public static func residentKiB(pid: pid_t) -> Int? {
        field("VmRSS:", statusPath: "/proc/\(pid)/status")
    }

    private static func field(_ name: String, statusPath: String) -> Int? {
        guard let status = try? String(contentsOfFile: statusPath, encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix(name) {
            return Int(line.split(separator: " ").dropFirst().first ?? "")
        }
        return nil
    }
}
