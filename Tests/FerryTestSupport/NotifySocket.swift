import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A socket of the test's own standing in for systemd's `$NOTIFY_SOCKET`: a Unix datagram socket in the
/// abstract namespace (no file, so the unprivileged agent may send to it), whose datagrams a thread collects
/// with the time they arrived.
public final class NotifySocket: @unchecked Sendable {
    /// One datagram.
    public struct Message: Sendable {
        /// Seconds since the socket was made.
        public var at: Double
        /// The `KEY=VALUE` lines.
        public var text: String
    }

    /// What `NOTIFY_SOCKET` is set to: `@` and the abstract name.
    public let address: String
    private let descriptor: Int32
    private let received = NIOLockedValueBox<[Message]>([])
    private let stopped = NIOLockedValueBox(false)
    private let started = Date()
    private var thread: Thread?

    /// Binds a fresh abstract name and starts collecting.
    public init() throws {
        let name = "ferry-notify-\(getpid())-\(UUID().uuidString.prefix(8))"
        address = "@" + name
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var storage = sockaddr_un()
        storage.sun_family = sa_family_t(AF_UNIX)
        let bytes = [UInt8(0)] + Array(name.utf8)
        withUnsafeMutableBytes(of: &storage.sun_path) { path in for (index, byte) in bytes.enumerated() { path[index] = byte } }
        let length = socklen_t(MemoryLayout<sockaddr_un>.offset(of: \.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) } }
        guard descriptor >= 0, bound == 0 else {
            throw NSError(domain: "NotifySocket", code: Int(errno), userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [received, stopped, descriptor, started] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while !stopped.withLockedValue({ $0 }) {
                let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
                guard count > 0 else { continue }
                let message = Message(at: Date().timeIntervalSince(started), text: String(decoding: buffer[0..<count], as: UTF8.self))
                received.withLockedValue { $0.append(message) }
            }
        }
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// Every datagram so far.
    public var messages: [Message] { received.withLockedValue { $0 } }

    /// Seconds since the socket was made.
    public var now: Double { Date().timeIntervalSince(started) }

    /// Waits up to `timeout` seconds for a datagram holding `line`; the first such, or nil.
    public func wait(for line: String, timeout: Double) -> Message? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = messages.first(where: { $0.text.split(separator: "\n").contains(Substring(line)) }) { return found }
            usleep(20_000)
        }
        return nil
    }

    /// Stops collecting and closes the socket.
    public func stop() {
        let first = stopped.withLockedValue { value in
            defer { value = true }
            return !value
        }
        guard first else { return }
        usleep(150_000)
        close(descriptor)
    }
}
