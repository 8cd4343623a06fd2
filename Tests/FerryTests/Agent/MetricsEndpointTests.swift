import Foundation
import FerryTestSupport
import FerryTestTags
import NIOHTTP1
import Synchronization
import Testing

@testable import Ferry

/// `http.listen`: `/metrics` checked against an independent consumer and parsed by prometheus_client's
/// parser, `/health` turning 503 during a blackhole with data pending and 200 after, `/ready`, and the bounds
/// that keep a flood of HTTP clients from hurting the pipeline.
@Suite("Metrics and health endpoint", .serialized)
struct MetricsEndpointTests {
    @Test("the routes: /health says why it is 503, /ready waits for a broker, 404 and 405 name what is served")
    func routes() {
        let health = AgentHealth()
        let routes = HTTPRoutes(metrics: { Array("ferry_up 1\n".utf8) }, health: health)
        let text: ((HTTPResponseStatus, String, [UInt8])) -> String = { String(decoding: $0.2, as: UTF8.self) }
        #expect(routes.answer(method: .GET, uri: "/ready").0 == .serviceUnavailable)
        #expect(routes.answer(method: .GET, uri: "/health").0 == .ok)
        health.update(.init(ready: true, problem: "nothing acknowledged for 61 s with 10 bytes pending"))
        #expect(routes.answer(method: .GET, uri: "/ready").0 == .ok)
        let unhealthy = routes.answer(method: .GET, uri: "/health?verbose=1")
        #expect(unhealthy.0 == .serviceUnavailable && text(unhealthy).contains("nothing acknowledged for 61 s"))
        let metrics = routes.answer(method: .HEAD, uri: "/metrics")
        #expect(metrics.0 == .ok && metrics.1.hasPrefix("text/plain; version=0.0.4"))
        #expect(routes.answer(method: .POST, uri: "/metrics").0 == .methodNotAllowed)
        #expect(text(routes.answer(method: .GET, uri: "/admin")).contains("/metrics, /health and /ready"))

        var checkpoint = CheckpointWriterStatus()
        #expect(AgentHealth.problem(stalledNs: 5_000_000_000, stallLimitNs: 2_000_000_000, pendingBytes: 0, checkpoint: checkpoint) == nil)
        #expect(AgentHealth.problem(stalledNs: 1_000_000_000, stallLimitNs: 2_000_000_000, pendingBytes: 9, checkpoint: checkpoint) == nil)
        #expect(AgentHealth.problem(stalledNs: 2_000_000_000, stallLimitNs: 2_000_000_000, pendingBytes: 9, checkpoint: checkpoint) != nil)
        checkpoint.counters.consecutiveWriteFailures = 2
        checkpoint.lastError = "ENOSPC"
        let failing = AgentHealth.problem(stalledNs: 0, stallLimitNs: 2_000_000_000, pendingBytes: 0, checkpoint: checkpoint)
        #expect(failing?.contains("checkpoint cannot be written (2 failures in a row): ENOSPC") == true)
    }

    /// The exposition as prometheus_client's parser read it: sample name with sorted labels -> value.
    static func scrape(port: Int) throws -> (contentType: String, samples: [String: Double], families: [String: String]) {
        let result = try Subprocess.python("verify/scrape.py", ["--url", "http://127.0.0.1:\(port)/metrics"], timeout: 60)
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] else {
            throw Subprocess.Failure(description: "scrape.py: \(result.stderr) \(result.stdout)")
        }
        let samples = (json["samples"] as? [String: Any] ?? [:]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        return (json["content_type"] as? String ?? "", samples, json["families"] as? [String: String] ?? [:])
    }

    /// A broker behind a proxy, the three-input harness with `http.listen` on a free port and `http` YAML
    /// of its own, and the agent running and ready (`/ready` 200).
    struct Run {
        let broker: ProxiedTansu
        let port: Int
        let harness: AgentHarness
        let agent: AgentProcess

        init(prefix: String, http: String) throws {
            broker = try ProxiedTansu()
            port = try FreePort.find()
            harness = try AgentHarness(
                prefix: prefix, bootstrap: broker.bootstrap, extraKafka: ["linger.ms": "5"],
                topLevel: "http:\n  listen: 127.0.0.1:\(port)\n" + http)
            for topic in harness.topics { try broker.createTopic(topic, partitions: 2) }
            agent = try AgentProcess(config: harness.configPath, logPath: harness.directory.file("agent.log"))
            let ready = HTTPProbe.poll(port: port, path: "/ready", timeout: 30) { $0?.status == 200 }
            #expect(ready?.status == 200, "\(agent.log.suffix(2000))")
        }

        func stop() {
            harness.remove()
            broker.stop()
        }
    }

    @Test(
        "during a run: /ready 200, /metrics parses with prometheus_client and agrees with confluent-kafka (records, bytes lost 0, lag 0); /health 503 in a blackhole with data pending, 200 after",
        .tags(.broker, .childProcess), .needsBroker)
    func duringARun() throws {
        let run = try Run(prefix: "metrics", http: "  health_stall_seconds: 2\n  metrics_per_file: true")
        defer { run.stop() }
        let (broker, port, harness, agent) = (run.broker, run.port, run.harness, run.agent)
        let workload = harness.workload(linesPerFile: 2_000)
        let writerDone = workload.writeInBackground(block: 20, linesPerSecond: 2_000)
        sleep(2)
        let during = try Self.scrape(port: port)
        #expect(during.contentType.hasPrefix("text/plain; version=0.0.4"))
        #expect(during.families["ferry_records_acknowledged"] == "counter" && during.families["ferry_kafka_buffered_bytes"] == "gauge")
        #expect(during.samples.keys.contains { $0.hasPrefix("ferry_file_lag_bytes{") }, "per-file series when asked")

        broker.proxy.stall()
        let stalledAt = Date()
        let unhealthy = HTTPProbe.poll(port: port, path: "/health", timeout: 20) { $0?.status == 503 }
        let unhealthyAfter = Date().timeIntervalSince(stalledAt)
        broker.proxy.resume()
        let resumedAt = Date()
        let healthy = HTTPProbe.poll(port: port, path: "/health", timeout: 30) { $0?.status == 200 }
        let healthyAfter = Date().timeIntervalSince(resumedAt)
        writerDone.wait()
        let committed = AgentEndToEndTests.waitUntilCommitted(harness, total: AgentEndToEndTests.totalBytes(workload), timeout: 120)
        let final = try Self.scrape(port: port)
        let notFound = HTTPProbe.get(port: port, path: "/nothing-here")
        let exit = agent.terminate()
        let (records, errors) = try harness.consume(workload)
        let verdict = workload.verify(records, orderedInputs: ["a", "c"], checkOrder: false)
        let value = { (name: String) in final.samples[name] ?? -1 }
        let lost = final.samples.filter { $0.key.hasPrefix("ferry_lost_bytes_total{") }
        let lag = final.samples.filter { $0.key.hasPrefix("ferry_input_lag_bytes{") }
        print(
            "metrics: \(final.samples.count) samples in \(final.families.count) families; acknowledged \(value("ferry_records_acknowledged_total")), "
                + "consumed \(records.count), lines read \(value("ferry_lines_read_total")) of \(workload.totalLines); lost \(lost.values.reduce(0, +)); "
                + "lag \(lag); batches \(value("ferry_kafka_batch_bytes_total{form=compressed}")) of \(value("ferry_kafka_batch_bytes_total{form=uncompressed}")) bytes; "
                + "/health 503 after \(String(format: "%.1f", unhealthyAfter)) s of blackhole (\(unhealthy?.body.trimmingCharacters(in: .newlines) ?? "none")), "
                + "200 again \(String(format: "%.1f", healthyAfter)) s after; \(verdict)")
        #expect(unhealthy?.status == 503 && unhealthy?.body.hasPrefix("unhealthy: nothing acknowledged") == true, "\(String(describing: unhealthy))")
        #expect(healthy?.status == 200)
        #expect(notFound?.status == 404)
        #expect(committed && exit.status == 0, "\(agent.log.suffix(2000))")
        #expect(errors.isEmpty && verdict.missing == 0 && verdict.corrupt == 0, "\(verdict) \(errors)")
        #expect(value("ferry_records_acknowledged_total") == Double(records.count), "every acknowledged record was read back, no more")
        #expect(value("ferry_records_sent_total") == value("ferry_records_acknowledged_total"))
        #expect(value("ferry_lines_read_total") == Double(workload.totalLines))
        #expect(lost.count == 7 && lost.values.allSatisfy { $0 == 0 }, "\(lost)")
        #expect(lag.count == 3 && lag.values.allSatisfy { $0 == 0 }, "\(lag)")
        #expect(value("ferry_kafka_batch_bytes_total{form=compressed}") > 0)
        #expect(value("ferry_kafka_batch_bytes_total{form=compressed}") < value("ferry_kafka_batch_bytes_total{form=uncompressed}"))
        #expect(value("ferry_ready") == 1 && value("ferry_healthy") == 1)
        #expect(value("ferry_checkpoint_writes_total") > 0 && value("ferry_checkpoint_write_failures_total") == 0)
    }

    @Test(
        "an HTTP flood during a run (1,000 connections, slow-loris, a 1 MB header) is bounded: connections dropped by reason, RSS bounded, the endpoint answers after, nothing lost",
        .tags(.broker, .childProcess), .needsBroker)
    func flood() throws {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < 4_096 {
            limit.rlim_cur = min(limit.rlim_max, 4_096)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        let run = try Run(prefix: "flood", http: "")
        defer { run.stop() }
        let (port, harness, agent) = (run.port, run.harness, run.agent)
        let workload = harness.workload(linesPerFile: 2_000)
        let writerDone = workload.writeInBackground(block: 50, linesPerSecond: 10_000)
        sleep(1)
        let baseline = agent.residentKiB ?? 0
        let sampler = RSSSampler(pid: agent.pid, baseline: baseline)
        let samplerDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            while sampler.sampling.load(ordering: .relaxed) {
                if let now = PeakMemory.residentKiB(pid: sampler.pid) { sampler.peak.withLock { $0 = max($0, now) } }
                usleep(50_000)
            }
            samplerDone.signal()
        }

        // 1,000 connections held open at once.
        var held: [Int32] = []
        for _ in 0..<1_000 {
            let fd = HTTPProbe.connect(port: port, timeout: 5)
            if fd >= 0 { held.append(fd) }
        }
        sleep(2)
        for fd in held { close(fd) }
        // Slow-loris: 20 requests trickled a byte every 200 ms.
        let loris = (0..<20).map { _ in HTTPProbe.connect(port: port, timeout: 5) }.filter { $0 >= 0 }
        let request = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".utf8)
        var lorisOpen = loris.count
        for index in 0..<60 {
            lorisOpen = loris.filter { HTTPProbe.send($0, [request[min(index, request.count - 1)]]) }.count
            usleep(200_000)
        }
        // A 1 MB header.
        let large = HTTPProbe.connect(port: port, timeout: 5)
        var header = Array("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Large: ".utf8)
        header += [UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20)
        header += Array("\r\n\r\n".utf8)
        let largeSent = large >= 0 && HTTPProbe.send(large, header)
        let largeAnswer = large >= 0 ? HTTPProbe.readAll(large) : []
        for fd in loris + [large] where fd >= 0 { close(fd) }

        let healthAfter = HTTPProbe.poll(port: port, path: "/health", timeout: 30) { $0?.status == 200 }
        writerDone.wait()
        let committed = AgentEndToEndTests.waitUntilCommitted(harness, total: AgentEndToEndTests.totalBytes(workload), timeout: 120)
        sampler.sampling.store(false, ordering: .relaxed)
        samplerDone.wait()
        let scraped = try Self.scrape(port: port)
        let exit = agent.terminate()
        let (records, errors) = try harness.consume(workload)
        let verdict = workload.verify(records, orderedInputs: ["a", "c"], checkOrder: false)
        let dropped = { (reason: String) in scraped.samples["ferry_http_dropped_connections_total{reason=\(reason)}"] ?? -1 }
        let peakKiB = sampler.peak.withLock { $0 }
        print(
            "flood: \(held.count) connections held, \(lorisOpen) of \(loris.count) slow-loris still open after 12 s (the 1,000 closed first), 1 MB header "
                + "\(largeSent ? "accepted by the socket buffers" : "cut off while sending"), then \(largeAnswer.count) bytes answered; dropped: too_many \(dropped("too_many")), "
                + "timeout \(dropped("timeout")), request_too_large \(dropped("request_too_large")); RSS \(baseline) KiB before, peak \(peakKiB) KiB; "
                + "/health after: \(healthAfter?.status ?? 0); \(verdict)")
        #expect(held.count == 1_000)
        #expect(dropped("too_many") >= 900, "connections beyond 64 are closed as they come")
        #expect(dropped("timeout") >= Double(loris.count) && loris.count == 20 && lorisOpen == 0, "slow requests are cut at 10 s")
        #expect(dropped("request_too_large") >= 1 && largeAnswer.isEmpty, "a request head over 16 KiB is cut")
        #expect(peakKiB - baseline < 64 << 10, "RSS bounded: \(baseline) -> \(peakKiB) KiB")
        #expect(healthAfter?.status == 200)
        #expect(committed && exit.status == 0, "\(agent.log.suffix(2000))")
        #expect(errors.isEmpty && verdict.missing == 0 && verdict.corrupt == 0, "\(verdict) \(errors)")
    }
}

/// The agent's resident memory, sampled by a thread of the test.
private final class RSSSampler: Sendable {
    let pid: pid_t
    let peak: Mutex<Int>
    let sampling = Atomic<Bool>(true)
    init(pid: pid_t, baseline: Int) {
        self.pid = pid
        peak = Mutex(baseline)
    }
}
