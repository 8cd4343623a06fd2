import Foundation
import FerryTestSupport
import FerryTestTags
import Testing

@testable import Ferry

/// SIGHUP while lines flow: an input added, one removed, `linger.ms` changed, then a broken configuration
/// refused with its line while the running one goes on; confluent-kafka reads back every line.
@Suite("Reload on SIGHUP", .serialized)
struct ReloadEndToEndTests {
    /// Appends `count` lines `PREFIX-N` (N from `first`) to `path` at `perSecond`, in blocks of 100.
    static func write(_ path: String, prefix: String, first: Int = 0, count: Int, perSecond: Int) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Subprocess.Failure(description: "open \(path): \(errno)") }
        defer { close(fd) }
        let start = Date()
        var written = 0
        while written < count {
            let block = min(100, count - written)
            let text = (first + written..<first + written + block).map { "\(prefix)-\($0) some payload to make the line the size of a log line\n" }.joined()
            _ = text.utf8CString.withUnsafeBufferPointer { Glibc.write(fd, $0.baseAddress, $0.count - 1) }
            written += block
            let due = Double(written) / Double(perSecond)
            let elapsed = Date().timeIntervalSince(start)
            if due > elapsed { usleep(UInt32((due - elapsed) * 1e6)) }
        }
    }

    static func configuration(directory: TemporaryDirectory, bootstrap: String, inputs: [String], linger: Int, extra: String = "") -> String {
        var text = """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            shutdown_timeout_ms: 20000
            defaults:
              start_at: beginning
            inputs:

            """
        for input in inputs {
            text += "  - name: \(input)\n    paths: [\(directory.file("logs-\(input)"))/*.log]\n    topic: reload-\(input)\n"
        }
        text += "output:\n  kafka:\n    bootstrap.servers: \(bootstrap)\n    linger.ms: \(linger)\n" + extra
        return text
    }

    static func values(_ records: [ConsumedRecord]) -> [String] {
        records.map { String(decoding: $0.value ?? [], as: UTF8.self).split(separator: " ").first.map(String.init) ?? "" }
    }

    @Test(
        "SIGHUP at 20,000 lines/s: input c added, b removed, linger.ms 5 -> 50, then a broken configuration refused naming its line; nothing lost",
        .tags(.broker, .childProcess), .needsBroker)
    func reloadWhileFlowing() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        for topic in ["reload-a", "reload-b", "reload-c"] { try broker.createTopic(topic, partitions: 2) }
        let directory = try TemporaryDirectory("reload")
        defer { directory.remove() }
        for input in ["a", "b", "c"] {
            try FileManager.default.createDirectory(atPath: directory.file("logs-\(input)"), withIntermediateDirectories: true)
        }
        let config = directory.file("ferry.yaml")
        try Self.configuration(directory: directory, bootstrap: broker.bootstrap, inputs: ["a", "b"], linger: 5)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let socket = try NotifySocket()
        defer { socket.stop() }
        let agent = try AgentProcess(
            config: config, logPath: directory.file("agent.log"), environment: ["NOTIFY_SOCKET": socket.address])

        let aLines = 150_000, bLines = 15_000, cLines = 40_000
        let aDone = DispatchSemaphore(value: 0)
        let aPath = directory.file("logs-a/app.log"), bPath = directory.file("logs-b/app.log"), cPath = directory.file("logs-c/app.log")
        Thread.detachNewThread {
            try? Self.write(aPath, prefix: "a", count: aLines, perSecond: 15_000)
            aDone.signal()
        }
        try Self.write(bPath, prefix: "b", count: bLines, perSecond: 5_000)
        // b is removed once what was written to it is delivered (a removed input's unread lines stay unread).
        let bDeadline = Date().addingTimeInterval(60)
        while !StatusReport.make(stateDirectory: directory.file("state")).only(input: "b").isCaughtUp && Date() < bDeadline {
            usleep(50_000)
        }
        try Self.configuration(directory: directory, bootstrap: broker.bootstrap, inputs: ["a", "c"], linger: 50)
            .write(toFile: config, atomically: true, encoding: .utf8)
        let reloadAt = Date()
        kill(agent.pid, SIGHUP)
        let cFirstHalf = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? Self.write(cPath, prefix: "c", count: cLines / 2, perSecond: 5_000)
            cFirstHalf.signal()
        }
        while !agent.log.contains("configuration reloaded") && Date().timeIntervalSince(reloadAt) < 30 { usleep(20_000) }
        let reloadSeconds = Date().timeIntervalSince(reloadAt)
        cFirstHalf.wait()

        // A broken configuration: refused, every problem named with its line; the running one goes on.
        try (Self.configuration(directory: directory, bootstrap: broker.bootstrap, inputs: ["a", "c"], linger: 50)
            + "tailing:\n  max_open_filez: 3\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(agent.pid, SIGHUP)
        try Self.write(cPath, prefix: "c", first: cLines / 2, count: cLines / 2, perSecond: 5_000)
        aDone.wait()
        let deadline = Date().addingTimeInterval(120)
        var report = StatusReport.make(stateDirectory: directory.file("state"))
        while !(report.only(input: "a").isCaughtUp && report.only(input: "c").isCaughtUp) && Date() < deadline {
            usleep(100_000)
            report = StatusReport.make(stateDirectory: directory.file("state"))
        }
        let exit = agent.terminate()
        let log = agent.log
        let refused = log.split(separator: "\n").filter { $0.contains("configuration refused") }

        var missing: [String: Int] = [:]
        var duplicates: [String: Int] = [:]
        var errors: [String] = []
        for (input, count) in [("a", aLines), ("b", bLines), ("c", cLines)] {
            let read = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "reload-\(input)", count: count, idle: 3)
            errors += read.errors
            let values = Self.values(read.records)
            let unique = Set(values)
            missing[input] = Set((0..<count).map { "\(input)-\($0)" }).subtracting(unique).count
            duplicates[input] = values.count - unique.count
        }
        let notices = socket.messages.map(\.text).filter { $0.hasPrefix("READY=1") || $0.hasPrefix("RELOADING=1") }
            .map { $0.split(separator: "\n").first.map(String.init) ?? "" }
        print(
            "reload: running again with the new configuration \(String(format: "%.2f", reloadSeconds)) s after SIGHUP; notify: \(notices); "
                + "missing \(missing), duplicates \(duplicates); refused: \(refused.first ?? "none")")
        #expect(exit.status == 0, "\(log.suffix(3000))")
        #expect(notices == ["READY=1", "RELOADING=1", "READY=1"], "systemd is told of the reload, and READY again after it")
        #expect(socket.messages.contains { $0.text.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") })
        #expect(log.contains("configuration reloaded") && log.contains("inputs=a,c"), "\(log.suffix(3000))")
        #expect(!refused.isEmpty && refused.allSatisfy { $0.contains("ferry.yaml:") } && refused.contains { $0.contains("max_open_filez") },
                "the broken configuration is refused naming file, line and key: \(refused)")
        #expect(log.components(separatedBy: "configuration reloaded").count == 2, "the broken configuration did not replace the running one")
        #expect(errors.isEmpty, "\(errors)")
        #expect(missing == ["a": 0, "b": 0, "c": 0], "nothing lost across the reloads")
    }

    @Test(
        "a reloaded configuration that cannot start (its http.listen port is taken) gives way to the previous one, which ships on",
        .tags(.broker, .childProcess), .needsBroker)
    func reloadThatCannotStart() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        try broker.createTopic("reload-a", partitions: 1)
        let directory = try TemporaryDirectory("reload-back")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("logs-a"), withIntermediateDirectories: true)
        let config = directory.file("ferry.yaml")
        try Self.configuration(directory: directory, bootstrap: broker.bootstrap, inputs: ["a"], linger: 5)
            .write(toFile: config, atomically: true, encoding: .utf8)
        // A port someone else listens on.
        let (holder, taken) = try FreePort.held()
        defer { close(holder) }

        let agent = try AgentProcess(config: config, logPath: directory.file("agent.log"))
        let path = directory.file("logs-a/app.log")
        try Self.write(path, prefix: "a", count: 1_000, perSecond: 10_000)
        try (Self.configuration(directory: directory, bootstrap: broker.bootstrap, inputs: ["a"], linger: 5)
            + "http:\n  listen: 127.0.0.1:\(taken)\n")
            .write(toFile: config, atomically: true, encoding: .utf8)
        kill(agent.pid, SIGHUP)
        let deadline = Date().addingTimeInterval(30)
        while !agent.log.contains("going back to the previous one") && Date() < deadline { usleep(50_000) }
        try Self.write(path, prefix: "a", first: 1_000, count: 1_000, perSecond: 10_000)
        var report = StatusReport.make(stateDirectory: directory.file("state"))
        while !report.isCaughtUp && Date() < deadline.addingTimeInterval(30) {
            usleep(50_000)
            report = StatusReport.make(stateDirectory: directory.file("state"))
        }
        let running = agent.isRunning
        let exit = agent.terminate()
        let read = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "reload-a", count: 2_000, idle: 3)
        let unique = Set(Self.values(read.records))
        let backLine = agent.log.split(separator: "\n").first { $0.contains("going back to the previous one") } ?? "none"
        print("reload that cannot start: \(backLine); still running: \(running); \(unique.count) of 2000 lines read back")
        #expect(agent.log.contains("going back to the previous one") && backLine.contains("http.listen"), "\(agent.log.suffix(3000))")
        #expect(running && exit.status == 0)
        #expect(unique == Set((0..<2_000).map { "a-\($0)" }) && read.errors.isEmpty, "\(read.errors)")
    }
}
