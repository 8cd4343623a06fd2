import FerryTestSupport
import FerryTestTags
import Foundation
import KafkaWire
import Testing

@testable import KafkaProducer

/// The SASL client: SCRAM against RFC 7677's test vector and against Python's hashlib for SHA-512, PLAIN's
/// one message, base64, and the connection state machine's SASL steps (handshake, authenticate, failures).
@Suite("SASL client")
struct SaslTests {
    static func text(_ bytes: [UInt8]?) -> String? { bytes.map { String(decoding: $0, as: UTF8.self) } }

    @Test("SCRAM-SHA-256: RFC 7677's example exchange, byte for byte, and its server signature verified")
    func rfc7677() throws {
        var client = ScramClient(hash: .sha256, username: "user", password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
        #expect(Self.text(client.first()) == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO")
        let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        let final = try client.receive(Array(serverFirst.utf8))
        #expect(
            Self.text(final)
                == "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
        #expect(try client.receive(Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)) == nil)
    }

    @Test("SCRAM-SHA-256: a server signature that is not the one expected, or a server error, ends the exchange")
    func wrongServerSignature() throws {
        var client = ScramClient(hash: .sha256, username: "user", password: "pencil", clientNonce: "rOprNGfwEbeRWgbNEkqO")
        _ = client.first()
        _ = try client.receive(Array("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096".utf8))
        #expect(throws: SaslFailure.self) { try client.receive(Array("v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8)) }
        var other = ScramClient(hash: .sha256, username: "user", password: "pencil", clientNonce: "abc")
        _ = other.first()
        #expect(throws: SaslFailure(.serverError, "the broker ended the SCRAM exchange: invalid-proof")) {
            try other.receive(Array("e=invalid-proof".utf8))
        }
    }

    @Test("SCRAM: a nonce that does not extend ours, too many or too few iterations, a bad salt: refused before any hashing")
    func hostileServerFirst() {
        func failure(_ serverFirst: String) -> SaslFailure.Code? {
            var client = ScramClient(hash: .sha512, username: "u", password: "p", clientNonce: "abc")
            _ = client.first()
            do {
                _ = try client.receive(Array(serverFirst.utf8))
                return nil
            } catch {
                return error.code
            }
        }
        #expect(failure("r=xyz123,s=QUJD,i=4096") == .nonceMismatch)
        #expect(failure("r=abc,s=QUJD,i=4096") == .nonceMismatch, "the server must add to the nonce")
        #expect(failure("r=abc1,s=QUJD,i=2147483647") == .iterations)
        #expect(failure("r=abc1,s=QUJD,i=1") == .iterations)
        #expect(failure("r=abc1,s=Q,i=4096") == .malformed)
        #expect(failure("r=abc1,i=4096") == .malformed)
        #expect(failure("m=ext,r=abc1,s=QUJD,i=4096") == .malformed)
        #expect(failure("r=abc1,s=QUJD,i=4096") == nil)
    }

    @Test("SCRAM-SHA-512 (and -256 with a user name to escape): the exchange equals Python hashlib/hmac's (PBKDF2) for the same nonces and salt", .tags(.childProcess), .needsChildProcesses)
    func againstPython() throws {
        for (hash, name) in [(ScramClient.Hash.sha512, "sha512"), (.sha256, "sha256")] {
            let user = hash == .sha512 ? "ferry-producer" : "us=er,1"
            let password = "pässword with spaces, commas and = signs"
            let clientNonce = "fyko+d2lbbFgONRv9qkxdawL"
            let serverFirst = "r=\(clientNonce)3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096"
            var client = ScramClient(hash: hash, username: user, password: password, clientNonce: clientNonce)
            let first = Self.text(client.first())
            let final = Self.text(try client.receive(Array(serverFirst.utf8)))
            let result = try Subprocess.python(
                "verify/scram.py",
                ["--hash", name, "--user", user, "--password", password, "--client-nonce", clientNonce, "--server-first", serverFirst],
                timeout: 60)
            #expect(result.status == 0, "\(result.stderr)")
            let python = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: String] ?? [:]
            #expect(first == python["client_first"])
            #expect(final == python["client_final"])
            #expect(try client.receive(Array((python["server_final"] ?? "").utf8)) == nil, "Python's server signature verifies")
            print("SCRAM-\(name.uppercased()): client-final \(final ?? "") equals Python's")
        }
    }

    @Test("PLAIN: one message, \\0user\\0password; the broker's empty answer ends it")
    func plain() throws {
        var exchange = SaslExchange(settings: SaslSettings(mechanism: .plain, username: "alice", password: "s3cret"))
        #expect(exchange.first() == [0] + Array("alice".utf8) + [0] + Array("s3cret".utf8))
        #expect(try exchange.receive([]) == nil)
    }

    @Test("base64: RFC 4648's vectors both ways; malformed input refused")
    func base64() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=", "foobar": "Zm9vYmFy"]
        for (plain, encoded) in vectors {
            #expect(Base64.encode(Array(plain.utf8)) == encoded)
            #expect(Base64.decode(encoded) == Array(plain.utf8))
        }
        let bytes = (0...255).map { UInt8($0) }
        #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        for bad in ["Zg=", "Z===", "Zg=a", "Zm9v!", "=Zm9", "Zg==Zg=="] {
            #expect(Base64.decode(bad) == nil, "\(bad)")
        }
    }

    // MARK: - The connection state machine's SASL steps

    static let modern: [KafkaApiKey: ClosedRange<Int16>] = [
        .apiVersions: 0...3, .produce: 0...11, .metadata: 0...12, .initProducerId: 0...5, .saslHandshake: 0...1,
        .saslAuthenticate: 0...2,
    ]

    static func machine(_ mechanism: SaslMechanism, password: String = "pencil") -> ConnectionStateMachine {
        var machine = ConnectionStateMachine(
            reconnectBackoff: RetryBackoff(initialMs: 100, maximumMs: 1_000, seed: 3),
            sasl: SaslSettings(mechanism: mechanism, username: "user", password: password), nonce: { "rOprNGfwEbeRWgbNEkqO" })
        _ = machine.connect(now: 0)
        _ = machine.socketOpened()
        return machine
    }

    static func apiVersions(_ keys: [KafkaApiKey: ClosedRange<Int16>]) -> ApiVersionsResponse {
        ApiVersionsResponse(apiKeys: keys.map { .init(apiKey: $0.key, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound) })
    }

    @Test("SCRAM-SHA-256 over the connection machine: ApiVersions, SaslHandshake v1, two SaslAuthenticate v2, ready")
    func machineScram() {
        var machine = Self.machine(.scramSHA256)
        #expect(machine.apiVersionsReceived(Self.apiVersions(Self.modern), version: 3) == .sendSaslHandshake(version: 1, mechanism: "SCRAM-SHA-256"))
        #expect(!machine.isReady)
        #expect(
            machine.saslHandshakeReceived(SaslHandshakeResponse(mechanisms: ["PLAIN", "SCRAM-SHA-256"]))
                == .sendSaslAuthenticate(version: 2, bytes: Array("n,,n=user,r=rOprNGfwEbeRWgbNEkqO".utf8)))
        let serverFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
        guard case .sendSaslAuthenticate(2, let final)? = Optional(machine.saslAuthenticateReceived(SaslAuthenticateResponse(authBytes: Array(serverFirst.utf8)))) else {
            Issue.record("no client-final")
            return
        }
        #expect(Self.text(final)?.hasSuffix(",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=") == true)
        let ready = ConnectionStateMachine.NegotiatedVersions(produce: 11, metadata: 12, initProducerId: 4)
        #expect(machine.saslAuthenticateReceived(SaslAuthenticateResponse(authBytes: Array("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=".utf8))) == .ready(ready))
        #expect(machine.isReady && !machine.confirmed)
    }

    @Test("SASL failures: wrong password (the broker's message), an unsupported mechanism (the broker's list), no SaslHandshake v1, no SASL at all")
    func machineFailures() {
        var wrong = Self.machine(.plain, password: "nope")
        _ = wrong.apiVersionsReceived(Self.apiVersions(Self.modern), version: 3)
        _ = wrong.saslHandshakeReceived(SaslHandshakeResponse(mechanisms: ["PLAIN"]))
        let refused = wrong.saslAuthenticateReceived(SaslAuthenticateResponse(
            errorCode: KafkaErrorCode.saslAuthenticationFailed.rawValue, errorMessage: "Authentication failed: Invalid username or password"))
        #expect(refused == .fail(
            "SASL: authentication as 'user' failed: SASL_AUTHENTICATION_FAILED (58): Authentication failed: Invalid username or password (check sasl.username and the password for PLAIN)"))
        #expect(!"\(refused)".contains("nope"))

        var unsupported = Self.machine(.scramSHA512)
        _ = unsupported.apiVersionsReceived(Self.apiVersions(Self.modern), version: 3)
        #expect(unsupported.saslHandshakeReceived(SaslHandshakeResponse(
            errorCode: KafkaErrorCode.unsupportedSaslMechanism.rawValue, mechanisms: ["PLAIN", "SCRAM-SHA-256"]))
            == .fail("SASL: the broker does not enable sasl.mechanism=SCRAM-SHA-512 (UNSUPPORTED_SASL_MECHANISM, 33); it enables: PLAIN, SCRAM-SHA-256"))

        var old = Self.machine(.plain)
        var oldKeys = Self.modern
        oldKeys[.saslHandshake] = 0...0
        guard case .fail(let why) = old.apiVersionsReceived(Self.apiVersions(oldKeys), version: 3) else {
            Issue.record("SaslHandshake v0 accepted")
            return
        }
        #expect(why.contains("SaslHandshake v0"))

        var none = Self.machine(.plain)
        oldKeys[.saslHandshake] = nil
        guard case .fail(let noSasl) = none.apiVersionsReceived(Self.apiVersions(oldKeys), version: 3) else {
            Issue.record("no SASL accepted")
            return
        }
        #expect(noSasl.contains("does not offer SASL"))
    }

    @Test("backoff: a connection that closes after the handshake but before any answer is a failed attempt; only an answered request starts the count again")
    func confirmedResetsBackoff() {
        var machine = ConnectionStateMachine(reconnectBackoff: { var backoff = RetryBackoff(initialMs: 100, maximumMs: 100_000, seed: 3); backoff.jitter = 0; return backoff }())
        var now: UInt64 = 0
        var delays: [UInt64] = []
        for _ in 0..<4 {
            #expect(machine.connect(now: now) == .openSocket)
            _ = machine.socketOpened()
            _ = machine.apiVersionsReceived(Self.apiVersions(Self.modern), version: 3)
            #expect(machine.isReady)
            machine.closed(now: now)
            delays.append((machine.retryAt ?? now) - now)
            now = machine.retryAt ?? now
        }
        #expect(delays == delays.sorted() && delays[3] > delays[0], "the backoff grows: \(delays)")
        _ = machine.connect(now: now)
        _ = machine.socketOpened()
        _ = machine.apiVersionsReceived(Self.apiVersions(Self.modern), version: 3)
        machine.confirm()
        machine.closed(now: now)
        #expect((machine.retryAt ?? now) - now == delays[0], "an answered request starts the count again")
    }
}
