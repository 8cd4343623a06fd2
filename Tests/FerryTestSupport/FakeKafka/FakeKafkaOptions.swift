import KafkaWire

/// How the fake cluster behaves where real brokers differ (by version or by configuration).
public struct FakeKafkaOptions: Sendable {
    /// What a broker answers to a batch it already has (one of the producer's last 5).
    public enum DuplicateAnswer: Sendable {
        /// DUPLICATE_SEQUENCE_NUMBER (46), base offset -1 (what tansu does).
        case duplicateSequenceNumber
        /// Success with the base offset of the first append (what Apache Kafka does).
        case originalOffset
    }

    /// The answer to a duplicate batch. Default ``DuplicateAnswer/duplicateSequenceNumber``.
    public var duplicateAnswer: DuplicateAnswer = .duplicateSequenceNumber
    /// The code for a batch whose producer epoch is older than the partition knows: INVALID_PRODUCER_EPOCH
    /// (Kafka 2.7+) or PRODUCER_FENCED (older brokers). Default INVALID_PRODUCER_EPOCH.
    public var staleEpochError: KafkaErrorCode = .invalidProducerEpoch
    /// Whether InitProducerId v3+ naming a known producer id and its current epoch bumps the epoch (true),
    /// or hands out a fresh producer id (false: what Apache Kafka does for non-transactional producers).
    /// Default true.
    public var bumpsEpochs = true
    /// The versions advertised per API (and accepted). Defaults: ApiVersions 0-3, Metadata 1-12,
    /// Produce 3-11, InitProducerId 0-4.
    public var apiVersions: [KafkaApiKey: ClosedRange<Int16>] = [
        .apiVersions: 0...3, .metadata: 1...12, .produce: 3...11, .initProducerId: 0...4,
    ]
    /// Whether partitions keep the records appended (for ``FakeKafkaCluster/records(topic:partition:)``).
    /// Off for long runs that only need offsets. Default true.
    public var keepsRecords = true
    /// Makes the brokers hostile: a share of their answers mutated (see ``FakeResponseFuzzer``). Default none.
    public var responseFuzzer: FakeResponseFuzzer? = nil
    /// The host brokers listen on and advertise. Default 127.0.0.1 (loopback only).
    public var host = "127.0.0.1"

    /// The defaults.
    public init() {}
}
