import KafkaWire

/// What the fake cluster saw and did, so that a test can check its faults really happened.
public struct FakeKafkaStats: Sendable {
    /// Connections accepted, over all brokers.
    public var connectionsAccepted = 0
    /// Requests received, by API.
    public var requests: [KafkaApiKey: Int] = [:]
    /// Produce answers per partition entry, by error code (NONE counts the appended batches).
    public var produceAnswers: [KafkaErrorCode: Int] = [:]
    /// Batches recognised as duplicates of one already in the log.
    public var duplicates = 0
    /// Producer ids handed out by InitProducerId.
    public var producerIdsIssued = 0
    /// Epoch bumps granted by InitProducerId.
    public var epochBumps = 0
    /// Every fault that fired, in order, described.
    public var faultsFired: [String] = []

    /// Makes empty stats.
    public init() {}

    /// Produce answers with `code`.
    public func answers(_ code: KafkaErrorCode) -> Int { produceAnswers[code] ?? 0 }
}
