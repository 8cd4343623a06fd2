import FerryTestSupport
import Foundation

/// A tansu broker that clients reach only through a ``TCPProxy``: tansu listens on one free port and
/// advertises the proxy's, so every connection a client opens (bootstrap, and the broker metadata names)
/// passes through the proxy, where the test injects resets and stalls.
///
/// (``TansuBroker`` advertises its own port, so clients would leave the proxy after their first Metadata.)
final class ProxiedTansu: @unchecked Sendable {
    /// The proxy in front of the broker.
    let proxy: TCPProxy
    /// The broker's own port (for the topic tool, which must not go through faults).
    let brokerPort: Int
    /// `127.0.0.1:<proxy port>`, for clients.
    var bootstrap: String { "127.0.0.1:\(proxy.port)" }
    private let process: Process
    private let logPath: String

    /// A failure to start the broker or create a topic.
    struct Failure: Error, CustomStringConvertible {
        /// A short, stable code.
        var code: String
        /// A sentence for people.
        var message: String
        var description: String { "ProxiedTansu [\(code)]: \(message)" }
    }

    /// Starts the proxy, then tansu advertising it, and waits until tansu accepts connections.
    init() throws {
        brokerPort = try FreePort.find()
        proxy = try TCPProxy(targetPort: brokerPort)
        logPath = NSTemporaryDirectory() + "ferry-tansu-proxied-\(brokerPort)-\(UUID().uuidString.prefix(6)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process = Process()
        process.executableURL = URL(fileURLWithPath: TansuBroker.binary)
        process.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(brokerPort)",
            "--advertised-listener-url", "tcp://127.0.0.1:\(proxy.port)", "--storage-engine", "memory://tansu/",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            proxy.stop()
            throw Failure(code: "start_failed", message: "cannot start tansu at \(TansuBroker.binary): \(error)")
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FreePort.accepts(port: brokerPort) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        let tail = recentLog()
        stop()
        throw Failure(code: "start_failed", message: "tansu did not start listening on \(brokerPort); log: \(tail)")
    }

    deinit { stop() }

    /// Creates a topic through tansu's own tool, straight to the broker's port.
    func createTopic(_ name: String, partitions: Int) throws {
        let result = try Subprocess.run(
            TansuBroker.binary,
            ["topic", "create", "--broker", "tcp://127.0.0.1:\(brokerPort)", "--partitions", "\(partitions)", name],
            timeout: 30)
        guard result.status == 0 else {
            throw Failure(code: "topic_create_failed", message: "topic create \(name) failed (\(result.status)): \(result.stderr) \(result.stdout)")
        }
    }

    /// Stops tansu (SIGTERM, then SIGKILL, by PID) and the proxy.
    func stop() {
        proxy.stop()
        if process.isRunning {
            process.terminate()
            // tansu (in-memory) has nothing to save and may not heed SIGTERM: 1 s, then SIGKILL.
            let deadline = Date().addingTimeInterval(1)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The end of the broker's log, for failure messages.
    func recentLog() -> String {
        String(((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "").suffix(3000))
    }
}
