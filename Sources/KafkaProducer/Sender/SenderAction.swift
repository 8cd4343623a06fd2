import KafkaWire
import NIOCore

/// What the sender state machine asks the producer core to do. Actions carry ids and values, never
/// promises, so tests compare them directly.
enum SenderAction: Sendable {
    /// One partition's batch inside a Produce request.
    struct Item: Sendable {
        var topicPartition: TopicPartition
        var records: ByteBuffer
    }

    /// Send a Produce request with these batches to `node`; `requestID` comes back in the response event.
    /// With acks=0 no response comes (`expectsResponse` false), and the batches are already reported.
    case send(node: Int32, requestID: UInt64, items: [Item], expectsResponse: Bool)
    /// The batch is in Kafka (base offset -1 when unknown: acks=0, or a duplicate the broker already had).
    case delivered(ProducerBatch, baseOffset: Int64, logAppendTime: Int64)
    /// The batch will not be delivered.
    case failed(ProducerBatch, ProducerError)
    /// Partition leaders are unknown or stale: fetch metadata.
    case refreshMetadata
    /// A connection to `node` is needed.
    case connect(node: Int32)
    /// Drop the connection to `node` (a request on it timed out: a late answer must not be trusted).
    case closeConnection(node: Int32)
    /// Ask for a producer id: a fresh one, or an epoch bump of `bumping` (falls back to a fresh one).
    case initProducerId(bumping: ProducerIdentity?)
    /// A batch got an error that is retried only because `ferry.retry.all.errors` asks so: worth a warning.
    case retrying(TopicPartition, ProducerError)
    /// The broker refused a producer id with an error that is retried only because
    /// `ferry.retry.all.errors` asks so (CLUSTER_AUTHORIZATION_FAILED...): worth an error in the log.
    case identityRefused(ProducerError)
    /// The broker found the batch too large: split it in two and give the halves back through
    /// ``SenderStateMachine/batchSplit(_:into:now:)``.
    case split(ProducerBatch)
}
