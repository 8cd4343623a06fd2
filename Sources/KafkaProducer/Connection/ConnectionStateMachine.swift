import KafkaWire

/// One broker connection's life: connecting, the ApiVersions handshake (v3, falling back to v0 when the
/// broker refuses it), SASL authentication when configured (SaslHandshake v1, then SaslAuthenticate
/// requests carrying the mechanism's messages), ready with the negotiated versions, confirmed once the
/// broker answered a request of ours, and reconnect backoff after a failure. Pure; the producer core
/// performs the actions. TLS is added by the connector, below this machine.
struct ConnectionStateMachine {
    /// The versions both sides support, per API we use.
    struct NegotiatedVersions: Equatable, Sendable {
        var produce: Int16
        var metadata: Int16
        var initProducerId: Int16?
    }

    enum State: Equatable {
        case idle(failures: Int, retryAt: UInt64)
        case connecting
        case handshaking(apiVersionsVersion: Int16)
        /// SaslHandshake sent (`exchange` not started) or SaslAuthenticate messages under way.
        case authenticating(NegotiatedVersions, authenticateVersion: Int16, exchange: SaslExchange)
        case ready(NegotiatedVersions)
    }

    enum Action: Equatable {
        case openSocket
        case sendApiVersions(version: Int16)
        case sendSaslHandshake(version: Int16, mechanism: String)
        case sendSaslAuthenticate(version: Int16, bytes: [UInt8])
        case ready(NegotiatedVersions)
        /// Close the socket: the broker cannot be used (the error says why); a failed attempt.
        case fail(String)
    }

    /// The versions of ApiVersions we try first and last.
    static let preferredApiVersionsVersion: Int16 = 3

    private(set) var state: State = .idle(failures: 0, retryAt: 0)
    var reconnectBackoff: RetryBackoff
    /// The mechanism and credentials, when the listener requires SASL.
    let sasl: SaslSettings?
    /// The SCRAM client nonce of each authentication (random; tests give fixed ones).
    let nonce: @Sendable () -> String
    /// Whether the broker answered a request after the handshake on this connection: until then a close
    /// is a failed attempt (a SASL listener closes a client that did not authenticate), and the backoff
    /// does not start over.
    private(set) var confirmed = false

    init(reconnectBackoff: RetryBackoff, sasl: SaslSettings? = nil, nonce: @escaping @Sendable () -> String = ScramClient.randomNonce) {
        self.reconnectBackoff = reconnectBackoff
        self.sasl = sasl
        self.nonce = nonce
    }

    var isReady: Bool {
        if case .ready = state { return true }
        return false
    }

    var versions: NegotiatedVersions? {
        if case .ready(let versions) = state { return versions }
        return nil
    }

    /// Someone needs this broker: open a socket unless one is open or the backoff has not passed.
    mutating func connect(now: UInt64) -> Action? {
        guard case .idle(_, let retryAt) = state, retryAt <= now else { return nil }
        state = .connecting
        return .openSocket
    }

    /// When a connection attempt may be made again (nil if not waiting).
    var retryAt: UInt64? {
        if case .idle(let failures, let retryAt) = state, failures > 0 { return retryAt }
        return nil
    }

    mutating func socketOpened() -> Action {
        state = .handshaking(apiVersionsVersion: Self.preferredApiVersionsVersion)
        return .sendApiVersions(version: Self.preferredApiVersionsVersion)
    }

    /// The ApiVersions answer, decoded in the version we asked (nil when it did not decode in it).
    mutating func apiVersionsReceived(_ response: ApiVersionsResponse?, version: Int16) -> Action {
        guard let response, response.errorCode == 0 else {
            // UNSUPPORTED_VERSION (or a body we could not read): retry with what the broker lists, or v0.
            if version > 0 {
                let listed = response?.versions(of: .apiVersions)?.upperBound ?? 0
                let next = min(max(listed, 0), version - 1)
                state = .handshaking(apiVersionsVersion: next)
                return .sendApiVersions(version: next)
            }
            return .fail("the broker refused every ApiVersions version (error \(response?.errorCode ?? -1))")
        }
        func highest(_ key: KafkaApiKey, _ ours: ClosedRange<Int16>) -> Int16? {
            guard let theirs = response.versions(of: key) else { return nil }
            let low = max(ours.lowerBound, theirs.lowerBound)
            let high = min(ours.upperBound, theirs.upperBound)
            return low <= high ? high : nil
        }
        guard let produce = highest(.produce, Self.produceVersions) else {
            return .fail("the broker supports no Produce version in \(Self.produceVersions) (record batch v2 needs v3+)")
        }
        guard let metadata = highest(.metadata, Self.metadataVersions) else {
            return .fail("the broker supports no Metadata version in \(Self.metadataVersions)")
        }
        let negotiated = NegotiatedVersions(
            produce: produce, metadata: metadata, initProducerId: highest(.initProducerId, Self.initProducerIdVersions))
        guard let sasl else {
            state = .ready(negotiated)
            return .ready(negotiated)
        }
        guard let handshake = response.versions(of: .saslHandshake) else {
            return .fail("the broker does not offer SASL (no SaslHandshake in its ApiVersions): is security.protocol right?")
        }
        guard handshake.upperBound >= 1, let authenticate = highest(.saslAuthenticate, Self.saslAuthenticateVersions) else {
            return .fail("the broker supports only SaslHandshake v0 (Kafka before 1.0); this client needs v1 and SaslAuthenticate")
        }
        state = .authenticating(negotiated, authenticateVersion: authenticate, exchange: SaslExchange(settings: sasl, nonce: nonce()))
        return .sendSaslHandshake(version: 1, mechanism: sasl.mechanism.rawValue)
    }

    /// The SaslHandshake answer (nil when it did not decode).
    mutating func saslHandshakeReceived(_ response: SaslHandshakeResponse?) -> Action {
        guard case .authenticating(let negotiated, let version, var exchange) = state, let sasl else {
            return .fail("a SaslHandshake answer outside the SASL handshake")
        }
        guard let response else { return .fail("the broker's SaslHandshake answer cannot be read") }
        switch response.error {
        case .none:
            let first = exchange.first()
            state = .authenticating(negotiated, authenticateVersion: version, exchange: exchange)
            return .sendSaslAuthenticate(version: version, bytes: first)
        case .unsupportedSaslMechanism:
            let enabled = response.mechanisms.isEmpty ? "none" : response.mechanisms.joined(separator: ", ")
            return .fail(
                "SASL: the broker does not enable sasl.mechanism=\(sasl.mechanism) (UNSUPPORTED_SASL_MECHANISM, 33); it enables: \(enabled)")
        case .illegalSaslState:
            return .fail("SASL: the broker does not expect SASL here (ILLEGAL_SASL_STATE, 34): this listener may be PLAINTEXT or SSL, not SASL_PLAINTEXT or SASL_SSL")
        case let other:
            return .fail("SASL: SaslHandshake failed: \(other.name) (\(other.rawValue))")
        }
    }

    /// The SaslAuthenticate answer (nil when it did not decode).
    mutating func saslAuthenticateReceived(_ response: SaslAuthenticateResponse?) -> Action {
        guard case .authenticating(let negotiated, let version, var exchange) = state, let sasl else {
            return .fail("a SaslAuthenticate answer outside the SASL handshake")
        }
        guard let response else { return .fail("the broker's SaslAuthenticate answer cannot be read") }
        guard response.errorCode == 0 else {
            let message = response.errorMessage.map { ": \($0)" } ?? ""
            let error = response.error
            let hint = error == .saslAuthenticationFailed ? " (check sasl.username and the password for \(sasl.mechanism))" : ""
            return .fail("SASL: authentication as '\(sasl.username)' failed: \(error.name) (\(error.rawValue))\(message)\(hint)")
        }
        do {
            guard let next = try exchange.receive(response.authBytes) else {
                state = .ready(negotiated)
                return .ready(negotiated)
            }
            state = .authenticating(negotiated, authenticateVersion: version, exchange: exchange)
            return .sendSaslAuthenticate(version: version, bytes: next)
        } catch {
            return .fail("SASL \(sasl.mechanism): \(error)")
        }
    }

    /// The broker answered a request after the handshake: the connection works.
    mutating func confirm() {
        confirmed = true
    }

    /// The socket closed (or never opened): wait before the next attempt, longer after each failure in a
    /// row (a connection the broker answered a request on starts the count again).
    mutating func closed(now: UInt64) {
        if confirmed { failures = 0 }
        confirmed = false
        failures += 1
        state = .idle(failures: failures, retryAt: now + reconnectBackoff.delay(attempt: failures))
    }

    /// Failed attempts in a row.
    private(set) var failures = 0

    /// The versions of each API this producer implements and uses.
    static let produceVersions: ClosedRange<Int16> = 3...11
    static let metadataVersions: ClosedRange<Int16> = 1...12
    static let initProducerIdVersions: ClosedRange<Int16> = 0...4
    static let saslAuthenticateVersions: ClosedRange<Int16> = SaslAuthenticateRequest.supportedVersions
}
