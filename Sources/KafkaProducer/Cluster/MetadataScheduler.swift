/// When the producer asks for metadata, through which connection, and which broker it connects to when it has
/// none: metadata retry and backoff, the refresh every `metadata.max.age.ms`, and the rotation through
/// `bootstrap.servers`. Pure: fed with events and `now:`, it answers decisions that ``ProducerCore`` carries
/// out, as ``SenderStateMachine`` and ``ConnectionStateMachine`` do.
struct MetadataScheduler {
    /// What the scheduler needs to know of a connection.
    struct Candidate: Equatable {
        /// The node id, or negative for a bootstrap connection not yet matched to a broker.
        var node: Int32
        /// Whether the handshake is done and requests can be written.
        var isReady: Bool
        /// Whether the broker has a Metadata version we speak.
        var canAskMetadata: Bool
        /// Whether a socket is open (or opening).
        var hasChannel: Bool
        /// When the connection may be opened again after a failure (nil: now).
        var retryAt: UInt64?
        /// Its address.
        var address: BrokerAddress
    }

    /// What to do now.
    enum Decision: Equatable {
        /// Nothing: no metadata wanted, one is out, it is backing off, or a connection is opening.
        case wait
        /// Write a Metadata request on the connection at this index.
        case send(Int)
        /// Open the connection at this index.
        case open(Int)
        /// Every bootstrap connection became a broker's and none of those can be used: add connections to
        /// these bootstrap servers (the cluster may have moved), then decide again.
        case addBootstrapServers([BrokerAddress])
    }

    /// Whether a Metadata request is wanted.
    private(set) var wanted = true
    /// Whether one is out.
    private(set) var inFlight = false
    /// Responses in a row that left a topic or partition missing.
    private(set) var failures = 0
    /// No request before this time (backoff after incomplete answers).
    private(set) var retryAt: UInt64 = 0
    /// When the last response was applied (0: never).
    private(set) var refreshedAt: UInt64 = 0
    /// Which bootstrap server to try next.
    private(set) var nextBootstrap: UInt = 0

    private let maxAgeNs: UInt64
    private let retryBackoffMs: Int
    private let retryBackoffMaxMs: Int

    init(maxAgeMs: Int, retryBackoffMs: Int, retryBackoffMaxMs: Int) {
        maxAgeNs = ProducerConfiguration.nanoseconds(milliseconds: maxAgeMs)
        self.retryBackoffMs = retryBackoffMs
        self.retryBackoffMaxMs = retryBackoffMaxMs
    }

    /// Something needs fresh metadata (a new topic, a leader error, a lost connection).
    mutating func want() { wanted = true }

    /// The timer fired: metadata older than `metadata.max.age.ms` is wanted again.
    mutating func tick(now: UInt64) {
        if maxAgeNs > 0, refreshedAt > 0, now >= refreshedAt + maxAgeNs { wanted = true }
    }

    /// The future times the scheduler needs the timer for (a backoff ending, metadata getting old).
    func deadlines(now: UInt64) -> [UInt64] {
        var times: [UInt64] = []
        if wanted && !inFlight && retryAt > now { times.append(retryAt) }
        if maxAgeNs > 0 && refreshedAt > 0 && refreshedAt + maxAgeNs > now { times.append(refreshedAt + maxAgeNs) }
        return times
    }

    /// Whether a request is wanted, none is out and no backoff holds it: only then is ``decide(connections:bootstrapServers:now:)``
    /// worth its candidates.
    func isDue(now: UInt64) -> Bool { wanted && !inFlight && now >= retryAt }

    /// What to do now with these connections (known brokers and bootstrap ones, in the core's order).
    func decide(connections: [Candidate], bootstrapServers: [BrokerAddress], now: UInt64) -> Decision {
        guard isDue(now: now) else { return .wait }
        let chosen = connections.firstIndex { $0.isReady && $0.node >= 0 } ?? connections.firstIndex { $0.isReady }
        if let chosen, connections[chosen].canAskMetadata { return .send(chosen) }
        // No usable connection: open one, to a known broker or else to the next bootstrap server.
        guard !connections.contains(where: \.hasChannel) else { return .wait }
        let bootstraps = connections.indices.filter { connections[$0].node < 0 }
        if bootstraps.isEmpty {
            // Every bootstrap connection became a broker's. Those brokers being unreachable, go back to
            // bootstrap.servers for the addresses no connection has.
            let known = Set(connections.map(\.address))
            let missing = bootstrapServers.filter { !known.contains($0) }
            if !missing.isEmpty { return .addBootstrapServers(missing) }
        }
        if let known = connections.indices.first(where: { connections[$0].node >= 0 && connections[$0].retryAt ?? 0 <= now }) {
            return .open(known)
        }
        // With no connection to try now (all backing off), the reconnect timer comes back here.
        guard !bootstraps.isEmpty else { return .wait }
        return .open(bootstraps[Int(nextBootstrap % UInt(bootstraps.count))])
    }

    /// A Metadata request was written.
    mutating func requestSent() {
        inFlight = true
        wanted = false
    }

    /// Its response was applied; `incomplete` when a topic or partition is still missing or leaderless, which
    /// asks again after a backoff (exponential, with jitter seeded by `now`).
    mutating func responseApplied(incomplete: Bool, now: UInt64) {
        inFlight = false
        if incomplete {
            failures += 1
            var backoff = RetryBackoff(initialMs: retryBackoffMs, maximumMs: retryBackoffMaxMs, seed: now)
            retryAt = now + backoff.delay(attempt: failures)
            wanted = true
        } else {
            failures = 0
            retryAt = 0
        }
        refreshedAt = now
    }

    /// The connection carrying the request closed before the answer: ask again.
    mutating func requestLost() {
        inFlight = false
        wanted = true
    }

    /// A bootstrap connection failed before its handshake: the next attempt goes to the next server.
    mutating func bootstrapFailed() {
        nextBootstrap &+= 1
    }
}
