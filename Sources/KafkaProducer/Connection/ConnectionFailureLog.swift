/// Decides which connection failures are worth a log line: the first failure to reach a broker, then, while
/// the same failure repeats (every reconnect backoff, up to once a second), one line a minute counting the
/// attempts; and one line when the broker is reached again. It also keeps the last failure per broker, so
/// that an error can name the brokers that could not be reached. Pure: the caller passes `now:` and logs.
struct ConnectionFailureLog {
    /// What to log.
    enum Line: Equatable {
        /// The first failure to reach `broker` (or a different one than before).
        case failed(broker: String, error: String)
        /// The same failure, `attempts` times since the last line.
        case stillFailing(broker: String, error: String, attempts: Int)
        /// `broker` was reached after `attempts` failed attempts.
        case reachedAgain(broker: String, attempts: Int)
    }

    private struct State {
        var error: String
        var sinceLine: Int
        var total: Int
        var lastLineAt: UInt64
    }

    /// The most brokers remembered.
    static let maximumBrokers = 1024

    /// How long a repeating failure stays quiet between lines.
    let quietNs: UInt64
    private var brokers: [String: State] = [:]

    init(quietNs: UInt64 = 60_000_000_000) {
        self.quietNs = quietNs
    }

    /// A connection attempt to `broker` failed.
    mutating func failed(broker: String, error: String, now: UInt64) -> Line? {
        guard var state = brokers[broker], state.error == error else {
            if brokers[broker] == nil, brokers.count >= Self.maximumBrokers, let any = brokers.keys.first {
                brokers[any] = nil  // addresses come from metadata: a hostile broker must not grow this
            }
            brokers[broker] = State(error: error, sinceLine: 0, total: 1, lastLineAt: now)
            return .failed(broker: broker, error: error)
        }
        state.sinceLine += 1
        state.total += 1
        defer { brokers[broker] = state }
        guard now &- state.lastLineAt >= quietNs else { return nil }
        let attempts = state.sinceLine
        state.sinceLine = 0
        state.lastLineAt = now
        return .stillFailing(broker: broker, error: error, attempts: attempts)
    }

    /// A connection to `broker` opened.
    mutating func connected(broker: String) -> Line? {
        guard let state = brokers.removeValue(forKey: broker) else { return nil }
        return .reachedAgain(broker: broker, attempts: state.total)
    }

    /// The brokers whose last attempt failed, with the failure, sorted by broker.
    var unreachable: [(broker: String, error: String)] {
        brokers.map { ($0.key, $0.value.error) }.sorted { $0.broker < $1.broker }
    }
}
