import Foundation
import FerryTestSupport
import FerryTestTags
import Testing

/// SASL against our test broker's SASL server (``SaslGateway`` in front of tansu), first proven right with
/// librdkafka (confluent-kafka), then with `ferry` (unprivileged) over SASL_PLAINTEXT and over SASL_SSL
/// (stunnel in front), and the failures: wrong password, unsupported mechanism, a client without SASL.
@Suite("SASL to Kafka (our SASL server in front of tansu)", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct SaslEndToEndTests {
    static let users = ["alice": "alice-Pa55word", "svc,ferry": "p=ss,word"]

    static func settings(_ mechanism: String, user: String = "alice", password: String? = nil, tls: TestPKI? = nil) -> [String: String] {
        var settings = [
            "security.protocol": tls == nil ? "SASL_PLAINTEXT" : "SASL_SSL", "sasl.mechanism": mechanism, "sasl.username": user,
            "sasl.password": password ?? users[user] ?? "",
        ]
        if let tls { settings["ssl.ca.location"] = tls.caCertificate }
        return settings
    }

    /// librdkafka produces `count` records under `settings`.
    static func librdkafkaProduce(
        bootstrap: String, topic: String, count: Int, prefix: String, settings: [String: String], timeout: Double = 20
    ) throws -> (status: Int32, delivered: Int, errors: [String]) {
        let result = try Subprocess.python(
            "verify/sasl_produce.py",
            ["--bootstrap", bootstrap, "--topic", topic, "--count", "\(count)", "--prefix", prefix, "--timeout", "\(timeout)"]
                + settings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] },
            timeout: timeout + 60)
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result.status, json["delivered"] as? Int ?? -1, json["errors"] as? [String] ?? ["no output: \(result.stderr)"])
    }

    /// Reads `topic` back with confluent-kafka under `settings`: the values, in offset order.
    static func consume(bootstrap: String, topic: String, count: Int, settings: [String: String]) throws -> [String] {
        let outcome = try IndependentConsumer.consume(bootstrap: bootstrap, topic: topic, count: count, idle: 3, settings: settings)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        return outcome.records.sorted { ($0.partition, $0.offset) < ($1.partition, $1.offset) }
            .map { String(decoding: $0.value ?? [], as: UTF8.self) }
    }

    /// `ferry produce` of `lines` under `settings`.
    static func ferryProduce(bootstrap: String, topic: String, lines: [String], settings: [String: String]) throws -> Subprocess.Result {
        let arguments = ["produce", "-b", bootstrap, "-t", topic, "--log-level", "notice"]
            + settings.sorted { $0.key < $1.key }.flatMap { ["-X", "\($0.key)=\($0.value)"] }
        return try Unprivileged.runFerry(arguments, stdin: Data(lines.map { $0 + "\n" }.joined().utf8), timeout: 90)
    }

    @Test("our SASL server, proven with librdkafka: confluent-kafka authenticates with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (produces and reads back), and fails with a wrong password")
    func provenByLibrdkafka() throws {
        let tansu = try SaslTansu(users: Self.users)
        defer { tansu.stop() }
        try tansu.createTopic("proof", partitions: 1)
        var expected: [String] = []
        for mechanism in SaslGateway.allMechanisms {
            let outcome = try Self.librdkafkaProduce(
                bootstrap: tansu.bootstrap, topic: "proof", count: 10, prefix: mechanism, settings: Self.settings(mechanism))
            print("librdkafka \(mechanism): exit \(outcome.status), delivered \(outcome.delivered), errors \(outcome.errors)")
            #expect(outcome.status == 0 && outcome.delivered == 10, "\(mechanism): \(outcome.errors) \(tansu.recentLog())")
            expected += (0..<10).map { "\(mechanism) \($0)" }
        }
        let read = try Self.consume(bootstrap: tansu.bootstrap, topic: "proof", count: 30, settings: Self.settings("SCRAM-SHA-512"))
        #expect(read == expected)
        let wrong = try Self.librdkafkaProduce(
            bootstrap: tansu.bootstrap, topic: "proof", count: 1, prefix: "wrong",
            settings: Self.settings("SCRAM-SHA-256", password: "not-the-password"), timeout: 5)
        print("librdkafka with a wrong password: exit \(wrong.status), delivered \(wrong.delivered), errors \(wrong.errors.prefix(2))")
        #expect(wrong.status != 0 && wrong.delivered == 0)
        #expect(wrong.errors.contains { $0.contains("_AUTHENTICATION") && $0.contains("invalid credentials") }, "\(wrong.errors)")
        let counters = tansu.gateway.counters
        print("gateway: \(counters)")
        #expect(SaslGateway.allMechanisms.allSatisfy { (counters.authenticated[$0] ?? 0) >= 1 })
        #expect(counters.failed >= 1)
    }

    @Test("ferry produce over SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512 (a user name with , to escape; a password from sasl.password.file); confluent-kafka reads back")
    func ferryOverSaslPlaintext() throws {
        let tansu = try SaslTansu(users: Self.users)
        defer { tansu.stop() }
        try tansu.createTopic("ferry-sasl", partitions: 1)
        // SCRAM-SHA-512 takes the password from sasl.password.file (its trailing newline is not part of it).
        let directory = try TemporaryDirectory("sasl-password")
        defer { directory.remove() }
        try Data(((Self.users["alice"] ?? "") + "\n").utf8).write(to: URL(fileURLWithPath: directory.file("password")))
        chmod(directory.path, 0o755)
        chmod(directory.file("password"), 0o600)
        Unprivileged.handOver(directory.file("password"))
        var expected: [String] = []
        for mechanism in SaslGateway.allMechanisms {
            let lines = (0..<100).map { "\(mechanism) line \($0)" }
            let user = mechanism == "SCRAM-SHA-256" ? "svc,ferry" : "alice"
            var settings = Self.settings(mechanism, user: user)
            if mechanism == "SCRAM-SHA-512" {
                settings["sasl.password"] = nil
                settings["sasl.password.file"] = directory.file("password")
            }
            let result = try Self.ferryProduce(bootstrap: tansu.bootstrap, topic: "ferry-sasl", lines: lines, settings: settings)
            #expect(result.status == 0, "\(mechanism): \(result.stderr) \(tansu.recentLog())")
            #expect(result.stderr.contains("records read: 100, sent: 100, delivered: 100, failed: 0"), "\(result.stderr)")
            #expect(!result.stderr.contains(Self.users[user] ?? "?"))
            expected += lines
        }
        #expect(try Self.consume(bootstrap: tansu.bootstrap, topic: "ferry-sasl", count: 300, settings: Self.settings("PLAIN")) == expected)
        let counters = tansu.gateway.counters
        print("ferry over SASL_PLAINTEXT: gateway \(counters)")
        #expect(SaslGateway.allMechanisms.allSatisfy { (counters.authenticated[$0] ?? 0) >= 1 } && counters.failed == 0)
    }

    @Test("ferry produce over SASL_SSL (stunnel, then our SASL server, then tansu) with SCRAM-SHA-512; confluent-kafka reads back over SASL_SSL")
    func ferryOverSaslSSL() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tansu = try TLSTansu(pki: pki, saslUsers: Self.users)
        defer { tansu.stop() }
        try tansu.createTopic("sasl-ssl", partitions: 1)
        let lines = (0..<500).map { "line \($0) over SASL_SSL" }
        var settings = Self.settings("SCRAM-SHA-512", tls: pki)
        settings["compression.type"] = "lz4"
        let result = try Self.ferryProduce(bootstrap: tansu.bootstrap, topic: "sasl-ssl", lines: lines, settings: settings)
        #expect(result.status == 0, "\(result.stderr) \(tansu.recentLog())")
        #expect(result.stderr.contains("records read: 500, sent: 500, delivered: 500, failed: 0"), "\(result.stderr)")
        let read = try Self.consume(bootstrap: tansu.bootstrap, topic: "sasl-ssl", count: 500, settings: Self.settings("SCRAM-SHA-512", tls: pki))
        #expect(read == lines)
        print("ferry over SASL_SSL: \(read.count) of 500 read back; gateway \(tansu.gateway?.counters as Any)")
        #expect(tansu.gateway?.counters.authenticated["SCRAM-SHA-512"] ?? 0 >= 1)
    }

    @Test("negative: wrong password, unsupported mechanism, no SASL to a SASL listener: each fails within seconds naming why, and backs off (no reconnect storm)")
    func failures() throws {
        let tansu = try SaslTansu(users: Self.users, mechanisms: ["SCRAM-SHA-256", "SCRAM-SHA-512"])
        defer { tansu.stop() }
        let timeout = ["delivery.timeout.ms": "5000"]
        let cases: [(String, String, [String: String], String)] = [
            (
                "wrong password", tansu.bootstrap, Self.settings("SCRAM-SHA-256", password: "wrong-password").merging(timeout) { $1 },
                "SASL: authentication as 'alice' failed: SASL_AUTHENTICATION_FAILED (58): Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256"
            ),
            (
                "unsupported mechanism", tansu.bootstrap, Self.settings("PLAIN").merging(timeout) { $1 },
                "the broker does not enable sasl.mechanism=PLAIN (UNSUPPORTED_SASL_MECHANISM, 33); it enables: SCRAM-SHA-256, SCRAM-SHA-512"
            ),
            ("no SASL to a SASL listener", tansu.bootstrap, timeout, "set security.protocol=SASL_PLAINTEXT or SASL_SSL"),
        ]
        for (name, bootstrap, settings, expected) in cases {
            let before = tansu.gateway.counters
            let started = Date()
            let result = try Self.ferryProduce(bootstrap: bootstrap, topic: "nope", lines: ["x"], settings: settings)
            let elapsed = Date().timeIntervalSince(started)
            let after = tansu.gateway.counters
            let attempts = (after.failed - before.failed) + (after.unsupportedMechanisms - before.unsupportedMechanisms)
                + (after.unauthenticatedRequests - before.unauthenticatedRequests)
            print("\(name): exit \(result.status) after \(String(format: "%.1f", elapsed)) s, \(attempts) attempts at the gateway: \(result.stderr.suffix(600))")
            #expect(result.status != 0, "\(name)")
            #expect(result.stderr.contains(expected), "\(name): \(result.stderr)")
            #expect(elapsed < 15, "\(name) took \(elapsed) s")
            // reconnect.backoff.ms 50 doubling to 1000 over 5 s: about 9 attempts; a storm would be hundreds.
            #expect(attempts <= 15, "\(name): \(attempts) attempts in \(elapsed) s")
            #expect(!result.stderr.contains("wrong-password") && !result.stderr.contains(Self.users["alice"] ?? "?"))
        }
    }

    @Test("ferry run over SASL_SSL with SCRAM-SHA-256 ships 1,000 lines; the password (written in the file) is in neither ferry check's output nor the agent's debug log, and a file every user can read gets a warning from both")
    func agentOverSaslSSL() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let tansu = try TLSTansu(pki: pki, saslUsers: Self.users)
        defer { tansu.stop() }
        try tansu.createTopic("agent-sasl", partitions: 2)
        let directory = try TemporaryDirectory("agent-sasl")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("logs"), withIntermediateDirectories: true)
        let lines = (0..<1000).map { "agent line \($0) over SASL_SSL" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: directory.file("logs/app.log"), atomically: false, encoding: .utf8)
        let password = Self.users["alice"] ?? ""
        func config(password: String) -> String {
            """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: agent-sasl
            output:
              kafka:
                bootstrap.servers: \(tansu.bootstrap)
                security.protocol: SASL_SSL
                ssl.ca.location: \(pki.caCertificate)
                sasl.mechanism: SCRAM-SHA-256
                sasl.username: alice
                sasl.password: "\(password)"
                linger.ms: 5
            """
        }
        let path = directory.file("ferry.yaml")
        try config(password: password).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        Unprivileged.handOver(directory.path)
        let check = try Unprivileged.runFerry(["check", "--config", path], timeout: 60)
        let checkOutput = check.stdout + check.stderr
        #expect(check.status == 0, "\(checkOutput)")
        #expect(checkOutput.contains("is readable by every user (mode 0644) and holds output.kafka.sasl.password"), "\(checkOutput)")
        #expect(!checkOutput.contains(password))
        let agent = try AgentProcess(config: path, logPath: directory.file("agent.log"), logLevel: "debug")
        let read = try Self.consume(bootstrap: tansu.bootstrap, topic: "agent-sasl", count: 1000, settings: Self.settings("SCRAM-SHA-256", tls: pki))
        let exit = agent.terminate()
        #expect(exit.status == 0, "\(agent.log.suffix(2000))")
        #expect(read.sorted() == lines.sorted(), "\(read.count) of 1000 read back")
        #expect(agent.log.contains("holds output.kafka.sasl.password"), "the start-up warning")
        #expect(!agent.log.contains(password), "the password is in the agent's log")
        print("ferry run over SASL_SSL: \(read.count) of 1000 lines read back; password in check output: \(checkOutput.contains(password)), in the debug log: \(agent.log.contains(password))")

        // From the environment instead, or a file only its owner reads: no warning.
        try config(password: "${KAFKA_PASSWORD}").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o644)
        let fromEnvironment = try Unprivileged.runFerry(["check", "--config", path], environment: ["KAFKA_PASSWORD": password], timeout: 60)
        #expect(fromEnvironment.status == 0 && !(fromEnvironment.stdout + fromEnvironment.stderr).contains("readable by every user"))
        try config(password: password).write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o600)
        Unprivileged.handOver(path)
        let privateFile = try Unprivileged.runFerry(["check", "--config", path], timeout: 60)
        #expect(privateFile.status == 0 && !(privateFile.stdout + privateFile.stderr).contains("readable by every user"), "\(privateFile.stderr)")
    }
}
