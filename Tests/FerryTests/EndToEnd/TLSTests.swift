import Foundation
import FerryTestSupport
import FerryTestTags
import Testing

/// TLS to a real TLS server that is not ours: tansu behind Debian's stunnel4, with a CA and certificates
/// made by `openssl`; `ferry` runs unprivileged; confluent-kafka reads back through the same TLS endpoint.
@Suite("TLS to Kafka (stunnel in front of tansu)", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct TLSTests {
    /// `ferry produce` of `lines` over TLS with these extra `-X` settings; the result.
    static func produce(
        _ tansu: TLSTansu, topic: String, lines: [String], bootstrap: String? = nil, settings: [String: String],
        timeout: TimeInterval = 60
    ) throws -> Subprocess.Result {
        let arguments = ["produce", "-b", bootstrap ?? tansu.bootstrap, "-t", topic, "--log-level", "notice"]
            + settings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] }
        return try Unprivileged.runFerry(arguments, stdin: Data(lines.map { $0 + "\n" }.joined().utf8), timeout: timeout)
    }

    /// Reads `topic` back with confluent-kafka over TLS (trusting the test CA).
    static func consume(_ tansu: TLSTansu, _ pki: TestPKI, topic: String, count: Int, client: Bool = false) throws -> [String] {
        var settings = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate]
        if client {
            settings["ssl.certificate.location"] = pki.clientCertificate
            settings["ssl.key.location"] = pki.clientKey
        }
        let outcome = try IndependentConsumer.consume(bootstrap: tansu.bootstrap, topic: topic, count: count, idle: 3, settings: settings)
        #expect(outcome.errors.isEmpty, "\(outcome.errors) \(tansu.recentLog())")
        return outcome.records.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }.map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    @Test("ferry produce over SSL (server certificate checked against ssl.ca.location, hostname verified); confluent-kafka reads back over TLS")
    func produceOverTLS() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tansu = try TLSTansu(pki: pki)
        defer { tansu.stop() }
        try tansu.createTopic("tls", partitions: 1)
        let lines = (0..<200).map { "line \($0) over TLS" }
        let result = try Self.produce(
            tansu, topic: "tls", lines: lines,
            settings: ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate, "compression.type": "lz4"])
        #expect(result.status == 0, "\(result.stderr) \(tansu.recentLog())")
        #expect(result.stderr.contains("records read: 200, sent: 200, delivered: 200, failed: 0"), "\(result.stderr)")
        #expect(try Self.consume(tansu, pki, topic: "tls", count: 200) == lines)
    }

    @Test("a broker that requires a client certificate: delivered with one (its key encrypted, ssl.key.password), refused without")
    func mutualTLS() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tansu = try TLSTansu(pki: pki, requireClientCertificate: true)
        defer { tansu.stop() }
        try tansu.createTopic("mtls", partitions: 1)
        let base = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate]
        let with = try Self.produce(
            tansu, topic: "mtls", lines: ["a", "b"],
            settings: base.merging([
                "ssl.certificate.location": pki.clientCertificate, "ssl.key.location": pki.encryptedClientKey,
                "ssl.key.password": pki.clientKeyPassword,
            ]) { $1 })
        #expect(with.status == 0, "\(with.stderr) \(tansu.recentLog())")
        #expect(!with.stderr.contains(pki.clientKeyPassword))
        #expect(try Self.consume(tansu, pki, topic: "mtls", count: 2, client: true) == ["a", "b"])
        let started = Date()
        let without = try Self.produce(tansu, topic: "mtls", lines: ["c"], settings: base.merging(["delivery.timeout.ms": "5000"]) { $1 })
        let elapsed = Date().timeIntervalSince(started)
        print("mTLS without a client certificate: exit \(without.status) after \(String(format: "%.1f", elapsed)) s: \(without.stderr.suffix(600))")
        #expect(without.status != 0)
        #expect(without.stderr.contains("client certificate"), "\(without.stderr)")
    }

    @Test("negative: wrong CA, expired certificate, hostname mismatch, plaintext to a TLS port, TLS to a plaintext port: each fails within seconds, naming why")
    func failures() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let good = try TLSTansu(pki: pki)
        defer { good.stop() }
        let expired = try TLSTansu(pki: pki, certificate: pki.expiredServerCertificate)
        defer { expired.stop() }
        let wrongHost = try TLSTansu(pki: pki, certificate: pki.wrongHostServerCertificate)
        defer { wrongHost.stop() }
        let ssl = ["security.protocol": "SSL", "ssl.ca.location": pki.caCertificate, "delivery.timeout.ms": "5000"]
        let cases: [(String, TLSTansu, String?, [String: String], String)] = [
            (
                "wrong CA", good, nil, ssl.merging(["ssl.ca.location": pki.otherCACertificate]) { $1 },
                "TLS: the broker's certificate 'localhost' is issued by 'Ferry test ca', which ssl.ca.location (or the system's trust store) does not trust"
            ),
            ("expired", expired, nil, ssl, "TLS: the broker's certificate 'localhost' expired on 2021-01-01 00:00 UTC"),
            ("hostname mismatch", wrongHost, nil, ssl, "does not name localhost"),
            ("plaintext to TLS", good, nil, ["delivery.timeout.ms": "5000"], "security.protocol=SSL"),
            ("TLS to plaintext", good, good.broker.bootstrap, ssl, "TLS: the connection closed during the handshake"),
        ]
        for (name, tansu, bootstrap, settings, expected) in cases {
            let started = Date()
            let result = try Self.produce(tansu, topic: "nope", lines: ["x"], bootstrap: bootstrap, settings: settings)
            let elapsed = Date().timeIntervalSince(started)
            print("\(name): exit \(result.status) after \(String(format: "%.1f", elapsed)) s: \(result.stderr.suffix(700))")
            #expect(result.status != 0, "\(name)")
            #expect(result.stderr.contains(expected), "\(name): \(result.stderr)")
            #expect(elapsed < 15, "\(name) took \(elapsed) s")
        }
    }

    @Test("ferry run ships a file over TLS to a broker that requires a client certificate (encrypted key); the key password is in no log line")
    func agentOverMutualTLS() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tansu = try TLSTansu(pki: pki, requireClientCertificate: true)
        defer { tansu.stop() }
        try tansu.createTopic("agent-tls", partitions: 2)
        let directory = try TemporaryDirectory("agent-tls")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("logs"), withIntermediateDirectories: true)
        let lines = (0..<1000).map { "agent line \($0) over mutual TLS" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory.file("logs/app.log"), atomically: false, encoding: .utf8)
        let config = """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: agent-tls
            output:
              kafka:
                bootstrap.servers: \(tansu.bootstrap)
                security.protocol: SSL
                ssl.ca.location: \(pki.caCertificate)
                ssl.certificate.location: \(pki.clientCertificate)
                ssl.key.location: \(pki.encryptedClientKey)
                ssl.key.password: \(pki.clientKeyPassword)
                linger.ms: 5
            """
        try config.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        Unprivileged.handOver(directory.path)
        let check = try Unprivileged.runFerry(["check", "--config", directory.file("ferry.yaml")], timeout: 60)
        #expect(check.status == 0, "\(check.stdout) \(check.stderr)")
        #expect(!(check.stdout + check.stderr).contains(pki.clientKeyPassword))
        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"), logLevel: "debug")
        let read = try Self.consume(tansu, pki, topic: "agent-tls", count: 1000, client: true)
        let exit = agent.terminate()
        #expect(exit.status == 0, "\(agent.log.suffix(2000))")
        #expect(read.sorted() == lines.sorted(), "\(read.count) of 1000 read back")
        #expect(!agent.log.contains(pki.clientKeyPassword), "the key password is in the agent's log")
        print("ferry run over mutual TLS: \(read.count) of 1000 lines read back with confluent-kafka; key password in the debug log: \(agent.log.contains(pki.clientKeyPassword))")
    }
}
