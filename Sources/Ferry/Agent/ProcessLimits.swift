#if canImport(Glibc)
import Glibc
#endif

/// The process limits and identity the agent starts with.
enum ProcessLimits {
    /// Descriptors kept free of files for everything else: broker sockets, the checkpoint's writes and its
    /// directory, inotify, the wake-up and signal pipes, standard streams.
    static let descriptorReserve = 128

    /// Raises the soft `RLIMIT_NOFILE` to the hard limit (the usual soft limit, 1024, is what
    /// `max_open_files` defaults to: at it, sockets and checkpoint writes would fail with EMFILE). Returns
    /// the soft limit before and after.
    static func raiseDescriptorLimit() -> (before: UInt64, after: UInt64) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return (1024, 1024) }
        let before = UInt64(limit.rlim_cur)
        guard limit.rlim_cur < limit.rlim_max else { return (before, before) }
        var raised = limit
        raised.rlim_cur = limit.rlim_max
        guard setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 else { return (before, before) }
        return (before, UInt64(raised.rlim_cur))
    }

    /// The files the tailer may keep open under a soft descriptor limit of `softLimit`: the configured
    /// `max_open_files`, lowered when it would leave fewer than ``descriptorReserve`` descriptors.
    static func fileBudget(configured: Int, softLimit: UInt64) -> Int {
        let available = softLimit > UInt64(descriptorReserve + 16) ? Int(clamping: softLimit) - descriptorReserve : 16
        return max(1, min(configured, available))
    }

    /// The user the process runs as, as `name (uid N)`.
    static var userDescription: String {
        let uid = geteuid()
        if let entry = getpwuid(uid), let name = entry.pointee.pw_name {
            return "\(String(cString: name)) (uid \(uid))"
        }
        return "uid \(uid)"
    }
}
