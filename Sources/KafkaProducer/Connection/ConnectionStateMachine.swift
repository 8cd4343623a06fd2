import KafkaWire

/// One broker connection's life: connecting, the ApiVersions handshake (v3, falling back to v0 when the
/// broker refuses it), ready with the negotiated versions, and reconnect backoff after a failure.
/// Pure; the producer core performs the actions. The handshake is where SASL will slot in (after
/// ApiVersions, before ready); TLS is added by the channel initializer, below this machine.
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
        case ready(NegotiatedVersions)
    }

    enum Action: Equatable {
        case openSocket
        case sendApiVersions(version: Int16)
        case ready(NegotiatedVersions)
        /// Close the socket: the broker cannot be used (the error says why).
        case fail(String)
    }

    /// The versions of ApiVersions we try first and last.
    static let preferredApiVersionsVersion: Int16 = 3

    private(set) var state: State = .idle(failures: 0, retryAt: 0)
    var reconnectBackoff: RetryBackoff

    init(reconnectBackoff: RetryBackoff) {
        self.reconnectBackoff = reconnectBackoff
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
        state = .ready(negotiated)
        return .ready(negotiated)
    }

    /// The socket closed (or never opened): wait before the next attempt, longer after each failure in a
    /// row (a connection that reached ready starts the count again).
    mutating func closed(now: UInt64) {
        if case .ready = state { failures = 0 }
        failures += 1
        state = .idle(failures: failures, retryAt: now + reconnectBackoff.delay(attempt: failures))
    }

    /// Failed attempts in a row.
    private(set) var failures = 0

    /// The versions of each API this producer implements and uses.
    static let produceVersions: ClosedRange<Int16> = 3...11
    static let metadataVersions: ClosedRange<Int16> = 1...12
    static let initProducerIdVersions: ClosedRange<Int16> = 0...4
}
