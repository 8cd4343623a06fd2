import Foundation
import FerryTestSupport
import FerryTestTags
import Testing

@testable import Ferry

/// systemd's notify protocol, Ferry's own code, against a socket of the test's own: the datagrams, the
/// watchdog's rule (pings only while records are acknowledged or nothing is pending), and `ferry run`
/// under it (READY once a broker answered, STATUS, WATCHDOG stopping during a blackhole with data pending and
/// resuming after).
@Suite("systemd notify")
struct SystemdNotifyTests {
    static let second: UInt64 = 1_000_000_000

    @Test("the watchdog gate: progress or nothing pending pings; data pending with no acknowledgement for half the period stops the pings; progress resumes them")
    func gate() {
        var gate = WatchdogGate(watchdogPeriodNs: 10 * Self.second, now: 0)
        // (seconds, bytes pending, records finished) -> ping?
        let steps: [(UInt64, Int, Int, Bool, String)] = [
            (1, 0, 0, true, "idle"),
            (2, 4096, 10, true, "acknowledged"),
            (6, 4096, 10, true, "4 s without progress: below half the period"),
            (7, 4096, 10, false, "5 s: half the period, pings stop"),
            (60, 4096, 10, false, "still nothing"),
            (61, 4096, 11, true, "an acknowledgement resumes them"),
            (200, 0, 11, true, "drained: idle again"),
        ]
        for (seconds, pending, finished, expected, why) in steps {
            let ping = gate.shouldPing(now: seconds * Self.second, pendingBytes: pending, finished: finished)
            #expect(ping == expected, "\(why)")
        }
    }

    @Test("datagrams reach the socket of NOTIFY_SOCKET (abstract namespace): READY with STATUS, WATCHDOG, STOPPING; WATCHDOG_USEC read only for this process")
    func datagrams() throws {
        let socket = try NotifySocket()
        defer { socket.stop() }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "3000000"]))
        #expect(notifier.watchdogPeriodNs == 3 * Self.second)
        notifier.ready(status: "shipping\nsomething")
        notifier.watchdog()
        notifier.stopping(status: "bye")
        #expect(socket.wait(for: "STOPPING=1", timeout: 5) != nil)
        #expect(socket.messages.map(\.text) == ["READY=1\nSTATUS=shipping something", "WATCHDOG=1", "STOPPING=1\nSTATUS=bye"])
        #expect(SystemdNotifier(environment: [:]) == nil)
        let other = SystemdNotifier(environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "3000000", "WATCHDOG_PID": "1"])
        #expect(other?.watchdogPeriodNs == nil, "the watchdog is another process's")
        #expect(Agent.notificationTick(watchdogPeriodNs: 2 * Self.second) == 0.5)
        #expect(Agent.notificationTick(watchdogPeriodNs: nil) == 1)
    }

    @Test(
        "ferry run under Type=notify: READY once a broker answered, STATUS, WATCHDOG every quarter period; a blackhole with data pending stops the pings within the period, they resume after; nothing lost",
        .tags(.broker, .childProcess), .needsBroker)
    func agentUnderSystemd() throws {
        let broker = try ProxiedTansu()
        defer { broker.stop() }
        let harness = try AgentHarness(prefix: "notify", bootstrap: broker.bootstrap, extraKafka: ["linger.ms": "5"])
        defer { harness.remove() }
        for topic in harness.topics { try broker.createTopic(topic, partitions: 2) }
        let socket = try NotifySocket()
        defer { socket.stop() }
        let period = 4.0
        let agent = try AgentProcess(
            config: harness.configPath, logPath: harness.directory.file("agent.log"),
            environment: ["NOTIFY_SOCKET": socket.address, "WATCHDOG_USEC": "\(Int(period * 1_000_000))"])
        let ready = socket.wait(for: "READY=1", timeout: 30)
        #expect(ready != nil, "\(agent.log.suffix(2000))")
        let workload = harness.workload(linesPerFile: 2_000)
        let writerDone = workload.writeInBackground(block: 20, linesPerSecond: 2_000)
        sleep(3)
        let pingsBefore = socket.messages.filter { $0.text == "WATCHDOG=1" }.count
        broker.proxy.stall()
        let stalledAt = socket.now
        sleep(UInt32(period * 2))
        let duringStall = socket.messages.filter { $0.text == "WATCHDOG=1" && $0.at > stalledAt }
        let lastPing = duringStall.last?.at ?? stalledAt
        broker.proxy.resume()
        let resumedAt = socket.now
        var resumedPing: Double? = nil
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, resumedPing == nil {
            resumedPing = socket.messages.first { $0.text == "WATCHDOG=1" && $0.at > resumedAt }?.at
            usleep(50_000)
        }
        writerDone.wait()
        let committed = AgentEndToEndTests.waitUntilCommitted(harness, total: AgentEndToEndTests.totalBytes(workload), timeout: 120)
        let exit = agent.terminate()
        let (records, errors) = try harness.consume(workload)
        let verdict = workload.verify(records, orderedInputs: ["a", "c"], checkOrder: false)
        let statuses = socket.messages.filter { $0.text.hasPrefix("STATUS=") }
        print(
            "notify: READY after \(String(format: "%.2f", ready?.at ?? -1)) s (\(ready?.text.replacingOccurrences(of: "\n", with: " | ") ?? "none")); "
                + "\(pingsBefore) pings before the blackhole; last ping \(String(format: "%.2f", lastPing - stalledAt)) s into it (period \(period) s); "
                + "first ping \(resumedPing.map { String(format: "%.2f", $0 - resumedAt) } ?? "never") s after it ended; \(statuses.count) STATUS lines, last: "
                + "\(statuses.last?.text ?? "none"); STOPPING: \(socket.messages.contains { $0.text.hasPrefix("STOPPING=1") }); \(verdict)")
        #expect(pingsBefore >= 2, "WATCHDOG=1 about every \(period / 4) s")
        #expect(lastPing - stalledAt < period, "the pings stop within the watchdog period")
        #expect(resumedPing != nil, "the pings resume once records are acknowledged again")
        #expect(!statuses.isEmpty)
        #expect(socket.messages.contains { $0.text.hasPrefix("STOPPING=1") })
        #expect(committed && exit.status == 0, "\(agent.log.suffix(2000))")
        #expect(errors.isEmpty && verdict.missing == 0 && verdict.corrupt == 0, "\(verdict) \(errors)")
    }
}
