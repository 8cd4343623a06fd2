import DequeModule
import KafkaWire

/// Decides what to send where and when, and what each answer means: per-partition order, in-flight
/// limits, retries with backoff, idempotence (producer id, sequence numbers, epoch bumps), delivery
/// timeouts. Pure: no I/O, time comes in as a parameter, and every event returns the actions to perform.
///
/// Invariants (see ARCHITECTURE.md):
/// - batches of a partition are sent in creation order; a retry is sent only when nothing else of its
///   partition is in flight, so retries cannot overtake;
/// - a batch that may have been written is never failed by a timeout or by running out of retries;
/// - with idempotence, a batch keeps its sequence number across retries; sequence numbers are reassigned
///   only after an epoch bump, which happens only when no Produce request is in flight.
struct SenderStateMachine {
    /// The settings that shape decisions.
    struct Settings: Sendable {
        var acks: Int16
        var idempotent: Bool
        var maxInFlightPerConnection: Int
        var maxRequestSize: Int
        var retries: Int
        var requestTimeoutNs: UInt64
        /// 0 = never give up.
        var deliveryTimeoutNs: UInt64
        var backoff: RetryBackoff
        /// Retry errors that are not retriable too (all but "too large"): `ferry.retry.all.errors`.
        var retryAllErrors = false
    }

    /// Where idempotence stands.
    enum Idempotence: Equatable {
        case disabled
        /// No producer id yet; ask when there is something to send (not before `retryAt`).
        case needsIdentity(retryAt: UInt64)
        /// An InitProducerId request is out.
        case requestingIdentity
        case ready(ProducerIdentity)
        /// Sequences must be reset: waiting for in-flight requests to finish, then bump.
        case bumpNeeded(ProducerIdentity)
        /// A bump (or fresh id) request is out.
        case bumping(ProducerIdentity?)
        /// Idempotence cannot work (the broker refuses producer ids): every batch fails.
        case fatal(ProducerError)
    }

    struct PartitionState {
        var leader: Int32?
        /// Batch ids ready to send, in creation (index) order.
        var queue: Deque<UInt64> = []
        /// Batch ids in flight, in creation order.
        var inFlight: [UInt64] = []
        /// Batches sealed ahead of an earlier one, by index.
        var parked: [UInt64: UInt64] = [:]
        /// The index of the next batch to move from parked to the queue.
        var nextIndex: UInt64 = 0
        /// Next sequence number under the current identity.
        var nextSequence: Int32 = 0
    }

    struct NodeState {
        var ready = false
        var produceVersion: Int16 = 3
        var requests: Set<UInt64> = []
    }

    struct Request {
        var node: Int32
        var batchIDs: [UInt64]
        var deadline: UInt64
    }

    var settings: Settings
    var idempotence: Idempotence
    var batches: [UInt64: ProducerBatch] = [:]
    var partitions: [TopicPartition: PartitionState] = [:]
    var nodes: [Int32: NodeState] = [:]
    var requests: [UInt64: Request] = [:]
    var nextRequestID: UInt64 = 1
    var identityBackoffAttempts = 0
    /// Batch attempts that failed and were queued again (for the `retries` counter).
    var retriedBatches = 0
    /// Partition errors in Produce responses (the metrics count them by code; at most one entry per code
    /// the broker sends, 65,536 at worst).
    var partitionErrors = 0
    var partitionErrorsByCode: [Int16: Int] = [:]

    init(settings: Settings) {
        self.settings = settings
        idempotence = settings.idempotent ? .needsIdentity(retryAt: 0) : .disabled
    }

    // MARK: - Queries

    /// Batches not completed yet (parked, queued or in flight).
    var pendingBatchCount: Int { batches.count }

    /// Whether `partition` has sealed batches waiting to be sent (so its open batch may keep filling).
    func isBacklogged(_ partition: TopicPartition) -> Bool {
        guard let state = partitions[partition] else { return false }
        return !state.queue.isEmpty || !state.parked.isEmpty
    }

    /// Partitions with queued batches but no known leader.
    var partitionsWithoutLeader: [TopicPartition] {
        partitions.compactMap { $0.value.leader == nil && !$0.value.queue.isEmpty ? $0.key : nil }
    }

    /// Produce requests in flight, over all nodes.
    var requestsInFlight: Int { requests.count }

    /// The earliest time at which ``tick(now:)`` has something to do.
    func nextDeadline(now: UInt64) -> UInt64? {
        var next: UInt64? = nil
        func consider(_ time: UInt64) { next = min(next ?? time, time) }
        for request in requests.values { consider(request.deadline) }
        for state in partitions.values {
            guard let head = state.queue.first, let batch = batches[head] else { continue }
            if batch.retryAt > now { consider(batch.retryAt) }
            if settings.deliveryTimeoutNs > 0 && !batch.possiblyWritten {
                consider(batch.createdAt + settings.deliveryTimeoutNs)
            }
        }
        if case .needsIdentity(let retryAt) = idempotence, retryAt > now, !batches.isEmpty { consider(retryAt) }
        return next
    }

    // MARK: - Events

    /// A batch finished compression. It joins its partition's queue once every earlier batch has.
    mutating func batchSealed(_ batch: ProducerBatch, now: UInt64) -> [SenderAction] {
        if case .fatal(let error) = idempotence { return [.failed(batch, error)] }
        batches[batch.id] = batch
        updatePartition(batch.topicPartition) { state in
            state.parked[batch.index] = batch.id
            while let id = state.parked.removeValue(forKey: state.nextIndex) {
                state.queue.append(id)
                state.nextIndex += 1
            }
        }
        return drain(now: now)
    }

    /// The connection to `node` finished its handshake; Produce will use `produceVersion`.
    mutating func nodeReady(_ node: Int32, produceVersion: Int16, now: UInt64) -> [SenderAction] {
        nodes[node, default: NodeState()].ready = true
        nodes[node]?.produceVersion = produceVersion
        return drain(now: now)
    }

    /// The connection to `node` is gone: every request on it has an unknown outcome and is retried.
    mutating func nodeDown(_ node: Int32, now: UInt64) -> [SenderAction] {
        guard let state = nodes[node] else { return [] }
        var actions: [SenderAction] = []
        for requestID in state.requests.sorted() {
            actions += failRequest(requestID, reason: "connection to broker \(node) lost", now: now)
        }
        nodes[node]?.ready = false
        return actions + drain(now: now)
    }

    /// New metadata: the leader of each partition (`nil` = none right now).
    mutating func leadersChanged(_ leaders: [TopicPartition: Int32?], now: UInt64) -> [SenderAction] {
        for (partition, leader) in leaders {
            partitions[partition, default: PartitionState()].leader = leader
        }
        return drain(now: now)
    }

    /// A Produce request got no answer in time, or could not be written: its batches' outcome is unknown.
    mutating func requestFailed(_ requestID: UInt64, reason: String, now: UInt64) -> [SenderAction] {
        failRequest(requestID, reason: reason, now: now) + drain(now: now)
    }

    /// Time passed: request timeouts, retry backoffs and delivery timeouts.
    mutating func tick(now: UInt64) -> [SenderAction] {
        var actions: [SenderAction] = []
        for (requestID, request) in requests.sorted(by: { $0.key < $1.key }) where request.deadline <= now {
            actions.append(.closeConnection(node: request.node))
            actions += failRequest(requestID, reason: "no response within request.timeout.ms", now: now)
        }
        if settings.deliveryTimeoutNs > 0 {
            for (partition, var state) in partitions {
                var kept: Deque<UInt64> = []
                for id in state.queue {
                    guard let batch = batches[id] else { continue }
                    if !batch.possiblyWritten && now >= batch.createdAt + settings.deliveryTimeoutNs {
                        batches[id] = nil
                        if batch.baseSequence != nil { requestBump() }
                        actions.append(.failed(batch, ProducerError(
                            .deliveryTimeout, topic: partition.topic, partition: partition.partition,
                            kafkaError: batch.lastError?.kafkaError,
                            "not delivered within delivery.timeout.ms\(batch.lastError.map { "; last error: \($0.message)" } ?? "")")))
                    } else {
                        kept.append(id)
                    }
                }
                state.queue = kept
                partitions[partition] = state
            }
        }
        return actions + drain(now: now)
    }

    /// Fails every batch (the producer is closing and its timeout passed). Batches that may have been
    /// written are reported as `outcomeUnknown`, the others as `closed`.
    mutating func failAll(now: UInt64) -> [SenderAction] {
        var actions: [SenderAction] = []
        for id in batches.keys.sorted() {
            guard let batch = batches.removeValue(forKey: id) else { continue }
            let partition = batch.topicPartition
            let error = batch.possiblyWritten
                ? ProducerError(
                    .outcomeUnknown, topic: partition.topic, partition: partition.partition,
                    "the producer closed before the broker confirmed these records; they may or may not be in Kafka")
                : ProducerError(
                    .closed, topic: partition.topic, partition: partition.partition,
                    "the producer closed before these records were sent")
            actions.append(.failed(batch, error))
        }
        partitions = partitions.mapValues { state in
            var state = state
            state.queue = []
            state.inFlight = []
            state.parked = [:]
            return state
        }
        requests = [:]
        for node in nodes.keys { nodes[node]?.requests = [] }
        return actions
    }

    // MARK: - Internals shared by the extensions

    mutating func makeRequestID() -> UInt64 {
        defer { nextRequestID += 1 }
        return nextRequestID
    }

    mutating func storeRequest(_ id: UInt64, _ request: Request) {
        requests[id] = request
        nodes[request.node, default: NodeState()].requests.insert(id)
    }

    mutating func removeRequest(_ id: UInt64) -> Request? {
        guard let request = requests.removeValue(forKey: id) else { return nil }
        nodes[request.node]?.requests.remove(id)
        return request
    }

    mutating func updateBatch(_ id: UInt64, _ change: (inout ProducerBatch) -> Void) {
        guard batches[id] != nil else { return }
        change(&batches[id]!)
    }

    /// Changes a partition's state in place (a copy would copy its queue: O(n) per change, O(n²) over a
    /// backlog of thousands of batches).
    mutating func updatePartition(_ partition: TopicPartition, _ change: (inout PartitionState) -> Void) {
        change(&partitions[partition, default: PartitionState()])
    }

    /// Takes batch `id` out of its partition's in-flight list or queue (in flight first: that is where a
    /// completed batch is, and the list holds at most 5).
    mutating func detach(_ id: UInt64, from partition: TopicPartition) {
        updatePartition(partition) { state in
            if let index = state.inFlight.firstIndex(of: id) {
                state.inFlight.remove(at: index)
            } else if let index = state.queue.firstIndex(of: id) {
                state.queue.remove(at: index)
            }
        }
    }


    /// Every request of `requestID`'s batches back to their queues, marked as possibly written.
    mutating func failRequest(_ requestID: UInt64, reason: String, now: UInt64) -> [SenderAction] {
        guard let request = removeRequest(requestID) else { return [] }
        var actions: [SenderAction] = []
        for id in request.batchIDs {
            actions += requeue(id, possiblyWritten: true, error: nil, reason: reason, now: now)
        }
        return actions
    }
}
