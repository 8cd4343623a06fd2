import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// `ferry-testkit fuzz-producer <responses> <seed> [rate]`: the real producer against a hostile broker.
///
/// A fake cluster of two brokers answers with about `rate` (default 0.2) of its answers mutated by
/// ``FakeResponseFuzzer`` (hostile metadata, unknown error codes, absurd counts and varints, truncated,
/// doubled, unsolicited or missing frames, lying size prefixes) while the producer sends records without
/// pause. Once `responses` answers went out, the broker behaves again and 1,000 new records must all be
/// delivered within 60 s: the producer recovered by itself.
///
/// The process limits its data segment (`RLIMIT_DATA`, 1 GiB) and CPU time, so a hostile count that
/// allocates, or a loop, kills it. It prints one summary line, and exits 0 only when the producer recovered,
/// sent no request the broker could not decode, and held no more descriptors after closing than before.
enum ProducerFuzzChild {
    static let dataLimitBytes: UInt64 = 1 << 30
    static let cpuLimitSeconds: UInt64 = 3600

    /// Collects outcomes from the delivery handler.
    final class Outcomes: Sendable {
        private let state = NIOLockedValueBox<(delivered: Int, failed: Int, recovered: Int, errors: [String: Int])>((0, 0, 0, [:]))

        func record(_ report: DeliveryReport) {
            state.withLockedValue { state in
                let recovery = report.tokens.filter { $0 >= recoveryBase }.count
                if let error = report.error {
                    state.failed += report.tokens.count
                    state.errors[error.code.name, default: 0] += report.tokens.count
                } else {
                    state.delivered += report.tokens.count - recovery
                    state.recovered += recovery
                }
            }
        }

        var snapshot: (delivered: Int, failed: Int, recovered: Int, errors: [String: Int]) { state.withLockedValue { $0 } }
    }

    /// Tokens of the recovery records start here.
    static let recoveryBase: UInt64 = 1 << 40

    static func openDescriptors() -> Int {
        descriptorTargets().count
    }

    /// What each open descriptor is (`socket:[...]`, `anon_inode:[eventpoll]`, a path).
    static func descriptorTargets() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }.sorted()
    }

    static func run(_ arguments: [String]) throws {
        guard arguments.count >= 2, let responses = Int(arguments[0]), responses > 0, let seed = UInt64(arguments[1]) else {
            print("usage: ferry-testkit fuzz-producer <responses> <seed> [rate]")
            exit(2)
        }
        let rate = arguments.count > 2 ? Double(arguments[2]) ?? 0.2 : 0.2
        var data = rlimit(rlim_cur: rlim_t(dataLimitBytes), rlim_max: rlim_t(dataLimitBytes))
        var cpu = rlimit(rlim_cur: rlim_t(cpuLimitSeconds), rlim_max: rlim_t(cpuLimitSeconds))
        guard setrlimit(Int32(RLIMIT_DATA.rawValue), &data) == 0, setrlimit(Int32(RLIMIT_CPU.rawValue), &cpu) == 0 else {
            print("fuzz-producer: setrlimit failed (errno \(errno))")
            exit(3)
        }
        // Measured before anything is created: after the producer is closed and the cluster stopped, every
        // descriptor they opened must be gone. libdispatch's own event manager (an epoll, an eventfd and a
        // timerfd, made on first use and kept for the life of the process) is started first.
        let warmed = DispatchSemaphore(value: 0)
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(1)) { warmed.signal() }
        warmed.wait()
        let targetsBefore = descriptorTargets()
        let descriptorsBefore = targetsBefore.count
        let fuzzer = FakeResponseFuzzer(seed: seed, rate: rate)
        var options = FakeKafkaOptions()
        options.responseFuzzer = fuzzer
        options.keepsRecords = false
        let cluster = try FakeKafkaCluster(brokers: 2, options: options)
        try cluster.createTopic("fuzz", partitions: 4)

        var logger = Logger(label: "ferry.fuzz-producer") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = ProcessInfo.processInfo.environment["FERRY_FUZZ_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        let outcomes = Outcomes()
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrap, "linger.ms": "1", "batch.size": "16384", "buffer.memory": "4194304",
                "max.block.ms": "50", "request.timeout.ms": "30", "retry.backoff.ms": "1", "retry.backoff.max.ms": "20",
                "reconnect.backoff.ms": "1", "reconnect.backoff.max.ms": "5", "metadata.max.age.ms": "200",
                "delivery.timeout.ms": "0", "compression.type": "lz4", "ferry.retry.all.errors": "true",
            ]),
            logger: logger, onDelivery: { outcomes.record($0) })

        // Send without pause until the broker has given `responses` answers; refusals (buffer full, no
        // metadata yet) are expected under fuzzing: wait a little and go on.
        let started = Date()
        var sent: UInt64 = 0
        var refusals: [String: Int] = [:]
        // Log-like values that compress about 4:1, as real lines do.
        var generator = SeededGenerator(seed: seed)
        let values = (0..<64).map { _ in generator.bytes(40).map { 0x61 + $0 % 16 } + Array(" GET /api/v1/items HTTP/1.1 200 ok".utf8) }
        var lastReport = Date()
        while fuzzer.stats.responses < responses {
            if Date().timeIntervalSince(lastReport) > 5 {
                lastReport = Date()
                let snapshot = outcomes.snapshot
                FileHandle.standardError.write("progress: responses=\(fuzzer.stats.responses) sent=\(sent) delivered=\(snapshot.delivered) failed=\(snapshot.failed) connections=\(cluster.stats.connectionsAccepted) refusals=\(refusals)\n".data(using: .utf8)!)
                fflush(nil)
            }
            // A small backlog: many small requests (answers are what is fuzzed), not a few large ones.
            if producer.bufferedBytes > 64 << 10 {
                usleep(200)
                continue
            }
            do {
                try producer.send(ProducerRecord(topic: "fuzz", key: Array("k\(sent % 16)".utf8), value: values[Int(sent % 64)]), token: sent)
                sent += 1
            } catch {
                refusals[error.code.name, default: 0] += 1
                usleep(1000)
            }
            if Date().timeIntervalSince(started) > Double(cpuLimitSeconds) { break }
        }
        let fuzzSeconds = Date().timeIntervalSince(started)
        fuzzer.isEnabled = false

        // The broker behaves again: new records must all arrive, without any help.
        let recoveryStarted = Date()
        var recoverySent = 0
        while recoverySent < 1000 && Date().timeIntervalSince(recoveryStarted) < 60 {
            do {
                try producer.send(
                    ProducerRecord(topic: "fuzz", key: Array("r\(recoverySent % 16)".utf8), value: values[recoverySent % 64]),
                    token: recoveryBase + UInt64(recoverySent))
                recoverySent += 1
            } catch {
                usleep(10_000)
            }
        }
        while outcomes.snapshot.recovered < 1000 && Date().timeIntervalSince(recoveryStarted) < 60 {
            usleep(20_000)
        }
        let recoverySeconds = Date().timeIntervalSince(recoveryStarted)
        let closeDone = DispatchSemaphore(value: 0)
        Task {
            await producer.close(timeout: .seconds(10))
            closeDone.signal()
        }
        closeDone.wait()
        let stats = fuzzer.stats
        let outcome = outcomes.snapshot
        let clusterStats = cluster.stats
        let violations = cluster.violations
        let undecodable = violations.filter { $0.contains("undecodable") || $0.contains("connection error") }
        let peak = PeakMemory.highWaterKiB(pid: getpid()) ?? -1
        cluster.stop()
        var descriptorsAfter = openDescriptors()
        for _ in 0..<100 where descriptorsAfter > descriptorsBefore {
            usleep(20_000)
            descriptorsAfter = openDescriptors()
        }
        let recovered = outcome.recovered >= 1000
        let leaked = descriptorsAfter > descriptorsBefore
        print("""
            fuzz-producer seed=\(seed) rate=\(rate) responses=\(stats.responses) mutated=\(stats.mutated) \
            connections=\(clusterStats.connectionsAccepted) connections_closed=\(producer.counters.connectionFailures.load(ordering: .relaxed)) records_sent=\(sent) delivered=\(outcome.delivered) \
            failed=\(outcome.failed) recovered=\(outcome.recovered)/1000 recovery_s=\(String(format: "%.1f", recoverySeconds)) \
            fuzz_s=\(String(format: "%.1f", fuzzSeconds)) fds_before=\(descriptorsBefore) fds_after=\(descriptorsAfter) \
            undecodable_requests=\(undecodable.count) max_rss_kib=\(peak)
            """)
        print("mutations: \(stats)")
        print("failures by code: \(outcome.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        print("send refusals: \(refusals.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))")
        for line in undecodable.prefix(5) { print("undecodable: \(line)") }
        if leaked {
            let kinds = { (targets: [String]) in Dictionary(targets.map { ($0.hasPrefix("socket:") ? "socket" : $0, 1) }, uniquingKeysWith: +) }
            print("descriptors before: \(kinds(targetsBefore)) after: \(kinds(descriptorTargets()))")
        }
        exit(recovered && !leaked && undecodable.isEmpty ? 0 : 1)
    }
}
