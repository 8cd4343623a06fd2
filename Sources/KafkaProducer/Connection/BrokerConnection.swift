import KafkaWire
import NIOCore

/// One broker connection as the core sees it: the handshake state machine, the channel when open, and
/// the requests awaiting answers by correlation id. Confined to the producer's event loop.
final class BrokerConnection: @unchecked Sendable {
    /// What a pending correlation id was for, and the version to decode its answer in.
    enum Pending {
        case apiVersions(version: Int16)
        case metadata(version: Int16, topics: [String])
        case produce(requestID: UInt64, version: Int16)
        case initProducerId(version: Int16, bumping: Bool)
    }

    /// The node id (negative for bootstrap servers not yet matched with metadata).
    var node: Int32
    /// Where it connects.
    let address: BrokerAddress
    /// The handshake and reconnect state.
    var machine: ConnectionStateMachine
    /// The channel, while open.
    var channel: Channel?
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

    init(node: Int32, address: BrokerAddress, reconnectBackoff: RetryBackoff) {
        self.node = node
        self.address = address
        machine = ConnectionStateMachine(reconnectBackoff: reconnectBackoff)
    }

    /// The next correlation id (wraps; 0 is never pending long enough to collide).
    func correlationId() -> Int32 {
        nextCorrelationId = nextCorrelationId == Int32.max ? 1 : nextCorrelationId + 1
        return nextCorrelationId
    }

    /// Whether a Metadata or InitProducerId request may use this connection now.
    var isReady: Bool { machine.isReady && channel != nil }
}
