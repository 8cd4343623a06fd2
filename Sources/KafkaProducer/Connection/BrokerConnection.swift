import KafkaWire
import NIOCore

/// One broker connection as the core sees it: the handshake state machine, the channel when open, and
/// the requests awaiting answers by correlation id. Confined to the producer's event loop.
final class BrokerConnection: @unchecked Sendable {
    /// What a pending correlation id was for, and the version to decode its answer in.
    enum Pending {
        case apiVersions(version: Int16)
        case metadata(version: Int16, topics: [String])
        case produce(requestID: UInt64, version: Int16, partitions: Int)
        case initProducerId(version: Int16, bumping: Bool)
        case saslHandshake(version: Int16)
        case saslAuthenticate(version: Int16)

        /// The largest response frame this request can draw from a sane broker. A larger one is refused
        /// before it is read (the connection closes), so a hostile or broken broker cannot make the
        /// producer hold, and then decode into several times as much memory, a frame of up to 2 GiB.
        /// ApiVersions lists about 80 APIs in a few KiB; InitProducerId is a few fields; Metadata grows
        /// with the topics asked about (2 MiB each is ~40,000 partitions with three replicas); a Produce
        /// response is at most an error message and record errors per partition.
        var maximumResponseSize: Int {
            switch self {
            case .apiVersions: return 1 << 20
            case .initProducerId, .saslHandshake, .saslAuthenticate: return 64 << 10
            case .metadata(_, let topics): return min(16 << 20 + topics.count * (2 << 20), 100 << 20)
            case .produce(_, _, let partitions): return min(1 << 20 + partitions * (256 << 10), 100 << 20)
            }
        }
    }

    /// The node id (negative for bootstrap servers not yet matched with metadata).
    var node: Int32
    /// Where it connects.
    let address: BrokerAddress
    /// The handshake and reconnect state.
    var machine: ConnectionStateMachine
    /// The channel, while open.
    var channel: Channel?
    /// Why this attempt was given up (a SASL failure, no usable API version), for the failure log when the
    /// channel closes.
    var failure: String?
    /// Requests awaiting an answer.
    var pending: [Int32: Pending] = [:]
    /// When the control requests (handshake, metadata, producer id) must have been answered; the sender
    /// state machine keeps the Produce requests' own deadlines.
    var deadlines: [Int32: UInt64] = [:]

    /// The earliest deadline of a control request, if any.
    var earliestDeadline: UInt64? { deadlines.values.min() }
    /// Bumped on every open, so that callbacks from an old channel are ignored.
    var generation = 0
    private var nextCorrelationId: Int32 = 0

    init(node: Int32, address: BrokerAddress, reconnectBackoff: RetryBackoff, sasl: SaslSettings?) {
        self.node = node
        self.address = address
        machine = ConnectionStateMachine(reconnectBackoff: reconnectBackoff, sasl: sasl)
    }

    /// The next correlation id (wraps; 0 is never pending long enough to collide).
    func correlationId() -> Int32 {
        nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
        return nextCorrelationId
    }

    /// The largest response accepted for `correlationId`; nil when no request with that id is pending
    /// (a response to a request never sent).
    func maximumResponseSize(correlationId: Int32) -> Int? {
        pending[correlationId]?.maximumResponseSize
    }

    /// Whether a Metadata or InitProducerId request may use this connection now.
    var isReady: Bool { machine.isReady && channel != nil }
}
