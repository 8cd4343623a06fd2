import KafkaWire

/// The producer-id decisions the core used to make inline, pure (events and `now:` in, decisions out):
/// on which connection and in which form InitProducerId is asked, the fallback when the broker cannot
/// bump an epoch, what an answer means, and how often a refusal is worth a log line. When to ask (a fresh
/// id at start, a bump after a batch's fate became unknown) is the sender state machine's decision.
///
/// Tested alone (`ProducerIdPlannerTests`) and through the core (`ProducerCoreTests`).
struct ProducerIdPlanner: Sendable {
    /// A connection as the planner sees it.
    struct Candidate: Equatable, Sendable {
        /// Whether the handshake is done.
        var isReady: Bool
        /// The InitProducerId version agreed with the broker, nil if it has none.
        var initProducerIdVersion: Int16?
    }

    /// How to ask for a producer id.
    enum Request: Equatable, Sendable {
        /// Send InitProducerId v`version` on candidate `index`: producer id and epoch -1 for a fresh id, the
        /// current ones for an epoch bump.
        case send(index: Int, version: Int16, producerId: Int64, epoch: Int16)
        /// No ready connection supports InitProducerId: the sender backs off and asks again. With
        /// `wantMetadata` no connection is ready at all, so metadata is wanted (which opens one).
        case noConnection(wantMetadata: Bool)
        /// An epoch bump was asked for, but InitProducerId below v3 cannot bump: the sender falls back to a
        /// fresh producer id, which restarts the sequences just as well (Kafka before 2.5).
        case cannotBump
    }

    /// What an InitProducerId answer means.
    enum Answer: Equatable, Sendable {
        /// A usable producer id and epoch.
        case granted(ProducerIdentity)
        /// Success with an id or epoch below 0: stamping batches with it would make every one invalid, so
        /// it is asked again (as a retriable error).
        case invalid(producerId: Int64, epoch: Int16)
        /// Refused with `code`; `warn`: log it now (a retriable refusal at most once per ``warningInterval``).
        case refused(KafkaErrorCode, warn: Bool)
    }

    /// The first InitProducerId version that bumps an epoch (KIP-360).
    static let bumpVersion: Int16 = 3
    /// Repeated refusals are logged at most this often (nanoseconds).
    static let warningInterval: UInt64 = 10_000_000_000

    /// When a refusal was last logged.
    private(set) var lastWarning: UInt64?

    init() {}

    /// How to ask for a fresh producer id (`bumping` nil) or an epoch bump of `bumping`, given the
    /// connections in the core's order: the first ready one that has InitProducerId.
    func request(bumping: ProducerIdentity?, candidates: [Candidate]) -> Request {
        guard let index = candidates.firstIndex(where: { $0.isReady && $0.initProducerIdVersion != nil }),
            let version = candidates[index].initProducerIdVersion
        else {
            return .noConnection(wantMetadata: !candidates.contains(where: \.isReady))
        }
        guard let bumping else { return .send(index: index, version: version, producerId: -1, epoch: -1) }
        guard version >= Self.bumpVersion else { return .cannotBump }
        return .send(index: index, version: version, producerId: bumping.producerId, epoch: bumping.epoch)
    }

    /// Reads an answer received at `now`.
    mutating func answer(error: KafkaErrorCode, producerId: Int64, epoch: Int16, now: UInt64) -> Answer {
        guard error == .none else {
            // Retriable refusals (and codes Kafka does not define) repeat with the backoff: one line per
            // interval. Others are fatal, or retried only under ferry.retry.all.errors, which logs them itself.
            let repeats = error.isRetriable || error.info == nil
            return .refused(error, warn: repeats && warningDue(now: now))
        }
        guard producerId >= 0, epoch >= 0 else { return .invalid(producerId: producerId, epoch: epoch) }
        return .granted(ProducerIdentity(producerId: producerId, epoch: epoch))
    }

    /// Whether a refusal seen at `now` is logged (the first, then at most one per ``warningInterval``).
    mutating func warningDue(now: UInt64) -> Bool {
        if let lastWarning, now &- lastWarning < Self.warningInterval { return false }
        lastWarning = now
        return true
    }
}
