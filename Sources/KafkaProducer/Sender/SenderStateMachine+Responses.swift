import KafkaWire

extension SenderStateMachine {
    /// Errors after which the batch may be in the log although the broker reports a failure.
    static let writtenDespiteError: Set<KafkaErrorCode> = [.notEnoughReplicasAfterAppend, .requestTimedOut]

    /// Errors that refuse the records themselves (a record the topic can never take as it is, a timestamp
    /// outside what the broker accepts): failed even under `ferry.retry.all.errors`, since sending them again
    /// can never succeed; the agent counts them as lost with the code.
    static let recordsRefused: Set<KafkaErrorCode> = [.invalidRecord, .invalidTimestamp]

    /// Errors that mean our view of partition leadership is stale.
    static let metadataErrors: Set<KafkaErrorCode> = [
        .unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .fencedLeaderEpoch, .unknownLeaderEpoch,
        .kafkaStorageError, .notEnoughReplicas, .unknownTopicId, .inconsistentTopicId, .brokerNotAvailable,
        .replicaNotAvailable, .listenerNotFound,
    ]

    /// A Produce response arrived for `requestID`.
    mutating func produceResponse(_ requestID: UInt64, _ response: ProduceResponse, now: UInt64) -> [SenderAction] {
        guard let request = removeRequest(requestID) else { return [] }
        var results: [TopicPartition: ProduceResponse.PartitionProduceResponse] = [:]
        for topic in response.responses {
            for partition in topic.partitionResponses {
                results[TopicPartition(topic: topic.name, partition: partition.index)] = partition
            }
        }
        var actions: [SenderAction] = []
        var wantMetadata = false
        for id in request.batchIDs {
            guard let batch = batches[id] else { continue }
            let partition = batch.topicPartition
            guard let result = results[partition] else {
                actions += requeue(id, possiblyWritten: true, error: nil, reason: "the response did not mention \(partition)", now: now)
                continue
            }
            let code = KafkaErrorCode(rawValue: result.errorCode)
            if code != .none {
                partitionErrors &+= 1
                partitionErrorsByCode[result.errorCode, default: 0] &+= 1
            }
            switch code {
            case .none:
                actions.append(complete(id, baseOffset: result.baseOffset, logAppendTime: result.logAppendTimeMs))
            case .duplicateSequenceNumber:
                // The broker already has this batch (an earlier attempt was written): delivered.
                actions.append(complete(id, baseOffset: -1, logAppendTime: -1))
            case .messageTooLarge, .recordListTooLarge:
                actions += tooLarge(id, code: code, message: result.errorMessage)
            case .outOfOrderSequenceNumber:
                if batch.possiblyWritten { batches[id]?.unresolvable = true }
                if isOldestUnacknowledged(id) { requestBump() }
                actions += requeue(id, possiblyWritten: false, error: brokerError(batch, code, result), reason: nil, now: now)
            case .unknownProducerId, .invalidProducerEpoch, .producerFenced:
                if batch.possiblyWritten { batches[id]?.unresolvable = true }
                requestBump()
                actions += requeue(id, possiblyWritten: false, error: brokerError(batch, code, result), reason: nil, now: now)
            default:
                if code.isRetriable || Self.writtenDespiteError.contains(code) {
                    if Self.metadataErrors.contains(code) { wantMetadata = true }
                    actions += requeue(
                        id, possiblyWritten: Self.writtenDespiteError.contains(code), error: brokerError(batch, code, result),
                        reason: nil, now: now)
                } else if settings.retryAllErrors && !Self.recordsRefused.contains(code) {
                    let error = brokerError(batch, code, result)
                    actions.append(.retrying(partition, error))
                    actions += requeue(id, possiblyWritten: false, error: error, reason: nil, now: now)
                } else if batch.possiblyWritten {
                    // An earlier attempt may have written it: its outcome is unknown, not failed.
                    let partition = batch.topicPartition
                    actions.append(fail(id, ProducerError(
                        .outcomeUnknown, topic: partition.topic, partition: partition.partition, kafkaError: code,
                        "the broker answered \(code) after an earlier attempt may have written these records")))
                } else {
                    actions.append(fail(id, brokerError(batch, code, result)))
                }
            }
        }
        if wantMetadata { actions.append(.refreshMetadata) }
        return actions + drain(now: now)
    }

    /// The halves of a batch that was too large replace it, in its place in the queue.
    mutating func batchSplit(_ originalID: UInt64, into halves: [ProducerBatch], now: UInt64) -> [SenderAction] {
        guard let original = batches.removeValue(forKey: originalID) else { return [] }
        let partition = original.topicPartition
        for half in halves { batches[half.id] = half }
        updatePartition(partition) { state in
            state.inFlight.removeAll { $0 == originalID }
            state.queue.removeAll { $0 == originalID }
            for half in halves.reversed() { state.queue.prepend(half.id) }
        }
        return drain(now: now)
    }

    /// InitProducerId succeeded: sequences restart at 0 for every partition.
    mutating func identityReceived(_ identity: ProducerIdentity, now: UInt64) -> [SenderAction] {
        identityBackoffAttempts = 0
        idempotence = (.ready(identity))
        for partition in partitions.keys {
            updatePartition(partition) { $0.nextSequence = 0 }
            for id in partitions[partition]?.queue ?? [] {
                updateBatch(id) { batch in
                    batch.unresolvable = false
                    batch.baseSequence = nil
                    batch.identity = nil
                    batch.stamped = false
                }
            }
        }
        return drain(now: now)
    }

    /// InitProducerId failed with `code`. An epoch bump the broker refuses falls back to a fresh producer
    /// id; retriable errors, and codes Kafka does not define, are retried after a backoff. Any other error
    /// (CLUSTER_AUTHORIZATION_FAILED...) makes idempotence impossible: as in the Java client the producer
    /// then fails every batch, unless `ferry.retry.all.errors` is on (the agent): then it keeps what it
    /// holds, asks again after the backoff (logged, see ``SenderAction/identityRefused(_:)``), and once a
    /// producer id is granted sends everything under it, the producer replaced in place.
    mutating func identityFailed(_ code: KafkaErrorCode, message: String, now: UInt64) -> [SenderAction] {
        if case .bumping(.some) = idempotence {
            idempotence = .bumping(nil)
            return [.initProducerId(bumping: nil)]
        }
        let retriable = code.isRetriable || code == .none || code == .unknownServerError || code.info == nil
        if retriable || settings.retryAllErrors {
            let delay = nextIdentityBackoff()
            idempotence = (.needsIdentity(retryAt: now + delay))
            let refused: [SenderAction] = retriable ? [] : [.identityRefused(ProducerError(
                .fatalIdempotence, kafkaError: code, "the broker refused a producer id (\(code)): \(message); asking again"))]
            return refused + drain(now: now)
        }
        let error = ProducerError(
            .fatalIdempotence, kafkaError: code, "the broker refused a producer id (\(code)): \(message)")
        idempotence = (.fatal(error))
        var actions: [SenderAction] = []
        for id in batches.keys.sorted() { actions.append(fail(id, error)) }
        return actions
    }

    // MARK: - Helpers

    func brokerError(_ batch: ProducerBatch, _ code: KafkaErrorCode, _ result: ProduceResponse.PartitionProduceResponse) -> ProducerError {
        let detail = result.errorMessage.map { ": \($0)" } ?? ""
        return ProducerError(
            .brokerError, topic: batch.topicPartition.topic, partition: batch.topicPartition.partition, kafkaError: code,
            "the broker answered \(code)\(detail)")
    }

    /// Whether no earlier batch of the same partition is still pending: an OUT_OF_ORDER_SEQUENCE_NUMBER on
    /// it means the broker lost our sequence state, not that an earlier batch is missing.
    func isOldestUnacknowledged(_ id: UInt64) -> Bool {
        guard let batch = batches[id], let state = partitions[batch.topicPartition] else { return true }
        let earlierInFlight = state.inFlight.contains { other in other != id && (batches[other]?.index ?? .max) < batch.index }
        let earlierQueued = state.queue.contains { other in (batches[other]?.index ?? .max) < batch.index }
        return !earlierInFlight && !earlierQueued
    }

    /// Sequence numbers must restart under a new epoch once nothing is in flight.
    mutating func requestBump() {
        switch idempotence {
        case .ready(let identity): idempotence = (.bumpNeeded(identity))
        default: break
        }
    }

    mutating func complete(_ id: UInt64, baseOffset: Int64, logAppendTime: Int64) -> SenderAction {
        let batch = batches.removeValue(forKey: id)!
        detach(id, from: batch.topicPartition)
        return .delivered(batch, baseOffset: baseOffset, logAppendTime: logAppendTime)
    }

    mutating func fail(_ id: UInt64, _ error: ProducerError) -> SenderAction {
        let batch = batches.removeValue(forKey: id)!
        detach(id, from: batch.topicPartition)
        // A sequenced batch that will never be written leaves a gap: later sequences need a new epoch.
        if batch.baseSequence != nil { requestBump() }
        return .failed(batch, error)
    }

    private mutating func tooLarge(_ id: UInt64, code: KafkaErrorCode, message: String?) -> [SenderAction] {
        guard let batch = batches[id] else { return [] }
        if batch.recordCount > 1 {
            // Back at the head of its queue, not sendable, until its halves replace it: nothing newer of the
            // partition may overtake it meanwhile.
            updatePartition(batch.topicPartition) { state in
                state.inFlight.removeAll { $0 == id }
                state.queue.prepend(id)
            }
            batches[id]?.splitting = true
            if batch.baseSequence != nil { requestBump() }
            return [.split(batch)]
        }
        let partition = batch.topicPartition
        return [fail(id, ProducerError(
            .recordTooLarge, topic: partition.topic, partition: partition.partition, kafkaError: code,
            "the broker refused the record as too large\(message.map { ": \($0)" } ?? "")"))]
    }

    /// Puts a batch back in its queue (in creation order) for another attempt after a backoff, or fails it
    /// when `retries` ran out and no attempt may have written it.
    mutating func requeue(_ id: UInt64, possiblyWritten: Bool, error: ProducerError?, reason: String?, now: UInt64) -> [SenderAction] {
        guard var batch = batches[id] else { return [] }
        batch.possiblyWritten = batch.possiblyWritten || possiblyWritten
        if let error { batch.lastError = error }
        if let reason, error == nil {
            batch.lastError = ProducerError(
                .brokerError, topic: batch.topicPartition.topic, partition: batch.topicPartition.partition, reason)
        }
        if batch.attempts > settings.retries && !batch.possiblyWritten {
            batches[id] = batch
            let partition = batch.topicPartition
            return [fail(id, ProducerError(
                .retriesExhausted, topic: partition.topic, partition: partition.partition,
                kafkaError: batch.lastError?.kafkaError,
                "gave up after \(batch.attempts) attempts (retries=\(settings.retries)); last error: \(batch.lastError?.message ?? "none")"))]
        }
        retriedBatches += 1
        var backoff = settings.backoff
        batch.retryAt = now + backoff.delay(attempt: batch.attempts)
        settings.backoff = backoff
        batches[id] = batch
        let index = batch.index
        let batchesView = batches
        updatePartition(batch.topicPartition) { state in
            state.inFlight.removeAll { $0 == id }
            var position = 0
            while position < state.queue.count, (batchesView[state.queue[position]]?.index ?? .max) < index { position += 1 }
            state.queue.insert(id, at: position)
        }
        return []
    }

    private mutating func nextIdentityBackoff() -> UInt64 {
        identityBackoffAttempts += 1
        var backoff = settings.backoff
        let delay = backoff.delay(attempt: identityBackoffAttempts)
        settings.backoff = backoff
        return delay
    }
}
