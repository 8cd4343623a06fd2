import KafkaWire

extension SenderStateMachine {
    /// Fixed bytes of a Produce request around its batches (header, transactional id, acks, timeout).
    static let requestOverhead = 64
    /// Bytes per topic and per partition entry in a Produce request.
    static let entryOverhead = 32

    /// Sends what can be sent now: for each ready broker with room for another request, one Produce
    /// request holding the next batch of every partition it leads (one batch per partition per request,
    /// up to `max.request.size`). Emits the connections, metadata and producer ids it is missing.
    mutating func drain(now: UInt64) -> [SenderAction] {
        var actions: [SenderAction] = []
        guard !batches.isEmpty else { return actions }
        switch idempotence {
        case .disabled, .ready:
            break
        case .needsIdentity(let retryAt):
            guard retryAt <= now else { return actions }
            idempotence = .requestingIdentity
            return [.initProducerId(bumping: nil)]
        case .requestingIdentity, .bumping, .fatal:
            return actions
        case .bumpNeeded(let identity):
            // Before the bump re-sequences everything, learn the fate of every batch that may have
            // been written, by retrying it under the identity it was written with.
            var waiting = false
            for partition in partitions.keys.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
                guard let state = partitions[partition], state.inFlight.isEmpty, let head = state.queue.first,
                    let batch = batches[head], batch.possiblyWritten, batch.identity == identity, !batch.unresolvable
                else { continue }
                waiting = true
                guard let leader = state.leader else {
                    actions.append(.refreshMetadata)
                    continue
                }
                guard nodes[leader]?.ready == true else {
                    actions.append(.connect(node: leader))
                    continue
                }
                if let built = buildRequest(node: leader, partitions: [partition], now: now) { actions += built }
            }
            if waiting || !requests.isEmpty { return actions }
            idempotence = .bumping(identity)
            return [.initProducerId(bumping: identity)]
        }

        var byLeader: [Int32: [TopicPartition]] = [:]
        var missingLeader = false
        for (partition, state) in partitions where !state.queue.isEmpty {
            guard let leader = state.leader else {
                missingLeader = true
                continue
            }
            byLeader[leader, default: []].append(partition)
        }
        if missingLeader { actions.append(.refreshMetadata) }
        for node in byLeader.keys.sorted() {
            guard let nodeState = nodes[node], nodeState.ready else {
                actions.append(.connect(node: node))
                continue
            }
            let led = byLeader[node]!.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            while (nodes[node]?.requests.count ?? 0) < settings.maxInFlightPerConnection {
                guard let action = buildRequest(node: node, partitions: led, now: now) else { break }
                actions += action
            }
        }
        return actions
    }

    /// One Produce request for `node`, or nil when no partition it leads can send now.
    private mutating func buildRequest(node: Int32, partitions led: [TopicPartition], now: UInt64) -> [SenderAction]? {
        var items: [SenderAction.Item] = []
        var ids: [UInt64] = []
        var size = Self.requestOverhead
        for partition in led {
            guard let state = partitions[partition], let head = state.queue.first, let batch = batches[head],
                canSend(batch, state: state, now: now)
            else { continue }
            let added = batch.sealed.sizeInBytes + Self.entryOverhead + partition.topic.utf8.count
            if !items.isEmpty && size + added > settings.maxRequestSize { continue }
            size += added
            var sending = batch
            prepareForSend(&sending, partition: partition)
            batches[head] = sending
            updatePartition(partition) { state in
                state.queue.removeFirst()
                state.inFlight.append(head)
            }
            items.append(.init(topicPartition: partition, records: sending.sealed.buffer))
            ids.append(head)
        }
        guard !items.isEmpty else { return nil }
        let requestID = makeRequestID()
        if settings.acks == 0 {
            // No response will come: the batches are as delivered as they will ever be known to be.
            var actions: [SenderAction] = [.send(node: node, requestID: requestID, items: items, expectsResponse: false)]
            for id in ids { actions.append(complete(id, baseOffset: -1, logAppendTime: -1)) }
            return actions
        }
        storeRequest(requestID, Request(node: node, batchIDs: ids, deadline: now + settings.requestTimeoutNs))
        return [.send(node: node, requestID: requestID, items: items, expectsResponse: true)]
    }

    /// Whether the head batch of a partition may go now.
    private func canSend(_ batch: ProducerBatch, state: PartitionState, now: UInt64) -> Bool {
        guard batch.retryAt <= now, !batch.splitting else { return false }
        // A retry waits until nothing else of its partition is in flight, so it cannot be overtaken.
        if batch.attempts > 0 && !state.inFlight.isEmpty { return false }
        if settings.idempotent && state.inFlight.count >= 5 { return false }
        // While a retried batch is in flight, nothing newer of its partition goes, so that the broker's
        // window of 5 remembered batches still covers it (Java: RecordAccumulator.shouldStopDrainBatchesForPartition).
        if settings.idempotent && state.inFlight.contains(where: { (batches[$0]?.attempts ?? 0) > 1 }) { return false }
        return true
    }

    /// Assigns the sequence number (idempotence) and stamps the producer fields, once per identity.
    private mutating func prepareForSend(_ batch: inout ProducerBatch, partition: TopicPartition) {
        batch.attempts += 1
        if case .ready(let identity) = idempotence, batch.identity != identity {
            let sequence = partitions[partition]?.nextSequence ?? 0
            batch.identity = identity
            batch.baseSequence = sequence
            batch.stamped = false
            updatePartition(partition) { state in
                // Sequences wrap from Int32.max to 0, as the broker expects.
                let next = Int64(sequence) + Int64(batch.recordCount)
                state.nextSequence = Int32(truncatingIfNeeded: next > Int64(Int32.max) ? next - Int64(Int32.max) - 1 : next)
            }
        }
        batch.stamp()
    }
}
