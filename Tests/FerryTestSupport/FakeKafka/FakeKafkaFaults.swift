import KafkaWire

/// A fault on Produce answers: the next ``requests`` Produce requests that carry ``partition`` of
/// ``topic`` (and reach its leader) get ``error`` for it instead of the normal answer.
public struct FakeProduceFault: Sendable, Hashable, CustomStringConvertible {
    /// The topic.
    public var topic: String
    /// The partition.
    public var partition: Int32
    /// The error code answered.
    public var error: KafkaErrorCode
    /// How many more requests it applies to.
    public var requests: Int
    /// Whether the batch is appended first and the error answered anyway, as a leader does when it wrote
    /// the batch but its followers did not acknowledge it in time (NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    /// REQUEST_TIMED_OUT).
    public var appendFirst: Bool
    /// Whether it hits only batches already in the log (retries of a written batch), so that newer batches
    /// of the partition pass while a retried one keeps failing.
    public var onlyAlreadyWritten: Bool
    /// The fewest records a batch must hold to be hit (a MESSAGE_TOO_LARGE meant to make the producer split
    /// a batch must not hit a batch of one record, which cannot be split and fails as Java's does).
    public var minimumRecords: Int

    /// The codes a broker answers after it appended the batch.
    public static let writtenDespiteError: Set<KafkaErrorCode> = [.notEnoughReplicasAfterAppend, .requestTimedOut]

    /// Makes a fault; `appendFirst` defaults to whether `error` is one a broker answers after appending.
    public init(
        topic: String, partition: Int32, error: KafkaErrorCode, requests: Int = 1, appendFirst: Bool? = nil,
        onlyAlreadyWritten: Bool = false, minimumRecords: Int = 1
    ) {
        self.topic = topic
        self.partition = partition
        self.error = error
        self.requests = requests
        self.appendFirst = appendFirst ?? Self.writtenDespiteError.contains(error)
        self.onlyAlreadyWritten = onlyAlreadyWritten
        self.minimumRecords = minimumRecords
    }

    public var description: String {
        "produce \(topic)-\(partition)\(onlyAlreadyWritten ? " (batches already written)" : "")"
            + (minimumRecords > 1 ? " (batches of \(minimumRecords)+ records)" : "") + " -> \(error)"
            + (appendFirst ? " after appending" : "")
    }
}

/// A fault on a connection: for the next ``requests`` requests of ``api`` that reach ``node`` (any broker
/// when `nil`), the broker closes the connection or answers late.
public struct FakeConnectionFault: Sendable, Hashable, CustomStringConvertible {
    /// What the broker does.
    public enum Action: Sendable, Hashable {
        /// Close the connection without applying the request (the request is lost).
        case closeBeforeApplying
        /// Apply the request, then close the connection without answering (the outcome is unknown to the client).
        case closeAfterApplying
        /// Apply the request and answer after this many milliseconds; later requests on the connection wait
        /// behind it, as a broker processes one request per connection at a time.
        case delayResponse(milliseconds: Int)
    }

    /// What the broker does.
    public var action: Action
    /// The API whose requests it hits.
    public var api: KafkaApiKey
    /// The broker it applies to, or `nil` for any.
    public var node: Int32?
    /// How many more requests it applies to.
    public var requests: Int

    /// Makes a fault.
    public init(_ action: Action, api: KafkaApiKey = .produce, node: Int32? = nil, requests: Int = 1) {
        self.action = action
        self.api = api
        self.node = node
        self.requests = requests
    }

    public var description: String {
        "\(action) on \(api)\(node.map { " to node \($0)" } ?? "")"
    }
}
