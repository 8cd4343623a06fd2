import Ferry
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
import FerryTestTags
#endif

/// A file rotated (renamed to `app.log.1`, which the input's `*.log` does not match) around a stop or a
/// crash still holds lines that were not delivered: the restart finds it by inode and reads it to its end.
@Suite("Agent restarts around a rotation", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct AgentRotationRestartTests {
    /// The one file of these tests, `logs-a/app.log`, and its rotated name.
    struct RotatingFile {
        let harness: AgentHarness
        var path: String { harness.logDirectory("a") + "/app.log" }
        var rotatedPath: String { path + ".1" }

        /// The lines that reach Kafka, as the end-to-end check regenerates them: `generation0` lines before
        /// the rotation, `generation1` after.
        func workload(generation0: Int, generation1: Int) -> LogWorkload {
            LogWorkload(
                files: [LogWorkload.FileSpec(
                    input: "a", directory: harness.logDirectory("a"), name: "app.log", lines: generation0 + generation1,
                    rotateAfter: generation0)],
                hostName: "test-host")
        }

        /// Appends lines `range` of `generation` to the file now at `app.log`.
        func append(generation: Int, _ range: Range<Int>) throws {
            var bytes: [UInt8] = []
            for sequence in range {
                bytes += LogWorkload.line(input: "a", file: "app.log", generation: generation, sequence: sequence)
                bytes.append(0x0A)
            }
            let descriptor = try LogWorkload.openForAppend(path)
            defer { close(descriptor) }
            try LogWorkload.writeAll(descriptor, bytes)
        }

        /// Renames `app.log` to `app.log.1` (the next `append` creates a new `app.log`).
        func rotate() throws {
            guard rename(path, rotatedPath) == 0 else {
                throw Subprocess.Failure(description: "rename \(path): errno \(errno)")
            }
        }

        /// Both files' sizes: what the checkpoint must reach.
        var totalBytes: Int64 {
            var total: Int64 = 0
            for name in [path, rotatedPath] {
                var info = stat()
                if stat(name, &info) == 0 { total += Int64(info.st_size) }
            }
            return total
        }

        /// Writes lines 0..<1,000 of generation 0, starts the agent and waits until they are delivered.
        func startWithFirstLines() throws -> AgentProcess {
            try append(generation: 0, 0..<1_000)
            let agent = try AgentProcess(config: harness.configPath, logPath: harness.directory.file("agent.log"))
            #expect(AgentEndToEndTests.waitUntilCommitted(harness, total: totalBytes, timeout: 60), "log: \(agent.log.suffix(2000))")
            return agent
        }

        /// Reads topic `a` back with librdkafka and checks it against `workload`.
        func verify(_ workload: LogWorkload) throws -> LogWorkload.Verdict {
            let expected = workload.files.reduce(0) { $0 + $1.lines }
            let outcome = try IndependentConsumer.consume(
                bootstrap: harness.bootstrap, topic: harness.topics[0], count: expected, idle: 10, timeout: 120)
            #expect(outcome.errors.isEmpty, "\(outcome.errors)")
            return workload.verify(outcome.records, orderedInputs: ["a"], checkOrder: false)
        }
    }

    @Test("rotated while ferry was stopped: the restart reads the rest of the rotated file, then the new one")
    func rotatedWhileStopped() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let harness = try AgentHarness(prefix: "rotstop", bootstrap: broker.bootstrap)
        defer { harness.remove() }
        for topic in harness.topics { try broker.createTopic(topic, partitions: 4) }
        let file = RotatingFile(harness: harness)
        var agent = try file.startWithFirstLines()
        #expect(agent.terminate().status == 0)

        // While it is stopped: 500 more lines, the rotation, 300 lines in the new file.
        try file.append(generation: 0, 1_000..<1_500)
        try file.rotate()
        try file.append(generation: 1, 0..<300)

        agent = try AgentProcess(config: harness.configPath, logPath: harness.directory.file("agent.log"))
        let committed = AgentEndToEndTests.waitUntilCommitted(harness, total: file.totalBytes, timeout: 60)
        #expect(agent.terminate().status == 0)
        #expect(committed, "log: \(agent.log.suffix(3000))")
        #expect(agent.log.contains("file rotated while ferry was stopped; reading the rest of it"))
        let verdict = try file.verify(file.workload(generation0: 1_500, generation1: 300))
        print("rotated while stopped: \(verdict)")
        #expect(verdict.missing == 0 && verdict.corrupt == 0 && verdict.duplicates == 0 && verdict.badHeaders == 0, "\(verdict)")
    }

    @Test("killed after a rotated file was read to its end and let go, its last lines not yet acknowledged: nothing lost")
    func killedWithRotatedLinesInFlight() throws {
        let broker = try ProxiedTansu()
        defer { broker.stop() }
        let harness = try AgentHarness(prefix: "rotkill", bootstrap: broker.bootstrap)
        defer { harness.remove() }
        for topic in harness.topics { try broker.createTopic(topic, partitions: 4) }
        let file = RotatingFile(harness: harness)
        var agent = try file.startWithFirstLines()

        // Kafka stops answering; 500 lines are read and sent (in flight), the file is rotated, read to its
        // end and let go (close_inactive_ms = 1 s), and the checkpoint records it so: then SIGKILL.
        broker.proxy.stall()
        try file.append(generation: 0, 1_000..<1_500)
        try file.rotate()
        try file.append(generation: 1, 0..<10)
        let deadline = Date().addingTimeInterval(30)
        while !agent.log.contains("reason=moved_out") && Date() < deadline { usleep(100_000) }
        #expect(agent.log.contains("reason=moved_out"), "the rotated file was never let go; log: \(agent.log.suffix(2000))")
        usleep(1_000_000)  // a few checkpoint intervals (200 ms)
        let inFlight = StatusReport.make(stateDirectory: harness.stateDirectory).rows.first { $0.path == file.rotatedPath }
        #expect(inFlight.map { $0.committed < $0.size ?? 0 } ?? false, "the rotated file's last lines are not acknowledged yet: \(String(describing: inFlight))")
        _ = agent.kill()

        broker.proxy.resume()
        agent = try AgentProcess(config: harness.configPath, logPath: harness.directory.file("agent.log"))
        let committed = AgentEndToEndTests.waitUntilCommitted(harness, total: file.totalBytes, timeout: 90)
        #expect(agent.terminate().status == 0)
        #expect(committed, "log: \(agent.log.suffix(3000))")
        #expect(agent.log.contains("file rotated while ferry was stopped; reading the rest of it"))
        let verdict = try file.verify(file.workload(generation0: 1_500, generation1: 10))
        print("killed with a released rotated file in flight: \(verdict)")
        #expect(verdict.missing == 0 && verdict.corrupt == 0 && verdict.badHeaders == 0, "\(verdict)")
    }
}
