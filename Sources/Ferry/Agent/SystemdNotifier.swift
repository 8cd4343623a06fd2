#if canImport(Glibc)
import Glibc
#endif

/// systemd's notify protocol (`sd_notify(3)`), Ferry's own code: each message is one datagram of
/// `KEY=VALUE` lines to the Unix socket named by `$NOTIFY_SOCKET` (a path, or `@name` in the abstract
/// namespace). Nil when the variable is unset (not started by systemd with `Type=notify`). Sending never
/// blocks and never fails the agent: a lost datagram is only a missed status.
public final class SystemdNotifier: Sendable {
    private let descriptor: Int32
    private let address: [UInt8]
    /// `WATCHDOG_USEC` as nanoseconds, when systemd expects `WATCHDOG=1` from this process (unset, or
    /// `WATCHDOG_PID` names another process: nil).
    public let watchdogPeriodNs: UInt64?

    /// Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` from `environment`.
    public init?(environment: [String: String]) {
        guard let target = environment["NOTIFY_SOCKET"], !target.isEmpty else { return nil }
        var path = Array(target.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // the abstract namespace
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard path.count < capacity else { return nil }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        self.descriptor = descriptor
        address = path
        if let text = environment["WATCHDOG_USEC"], let microseconds = UInt64(text), microseconds > 0,
            environment["WATCHDOG_PID"].map({ Int32($0) == getpid() }) ?? true
        {
            watchdogPeriodNs = microseconds.multipliedReportingOverflow(by: 1000).overflow ? nil : microseconds * 1000
        } else {
            watchdogPeriodNs = nil
        }
    }

    deinit { close(descriptor) }

    /// Sends `message` (`READY=1\nSTATUS=...`); false if it could not be sent.
    @discardableResult
    public func send(_ message: String) -> Bool {
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        withUnsafeMutableBytes(of: &storage.sun_path) { bytes in
            for (index, byte) in address.enumerated() { bytes[index] = byte }
        }
        // An abstract name is exactly its bytes; a path ends with its NUL.
        let length = socklen_t(pathOffset + address.count + (address.first == 0 ? 0 : 1))
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        return sent == bytes.count
    }

    /// `READY=1`, with a status line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.oneLine(status))") }
    /// `STATUS=`: the line `systemctl status` shows.
    public func status(_ status: String) { send("STATUS=\(Self.oneLine(status))") }
    /// `WATCHDOG=1`: alive and making progress.
    public func watchdog() { send("WATCHDOG=1") }
    /// `RELOADING=1` with `MONOTONIC_USEC` (systemd.notify(5)): READY=1 follows once the new configuration
    /// runs.
    public func reloading(status: String) {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let microseconds = UInt64(now.tv_sec) &* 1_000_000 &+ UInt64(now.tv_nsec / 1_000)
        send("RELOADING=1\nMONOTONIC_USEC=\(microseconds)\nSTATUS=\(Self.oneLine(status))")
    }
    /// `STOPPING=1`.
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }

    /// `text` without line breaks (a newline would start another assignment).
    static func oneLine(_ text: String) -> String {
        String(text.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
