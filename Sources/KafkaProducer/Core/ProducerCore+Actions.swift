import KafkaWire
import NIOCore

extension ProducerCore {
    /// Performs the sender's decisions. The one place where they turn into I/O.
    func run(_ actions: [SenderAction]) {
        for action in actions {
            switch action {
            case .send(let node, let requestID, let items, let expectsResponse):
                sendProduce(node: node, requestID: requestID, items: items, expectsResponse: expectsResponse)
            case .delivered(let batch, let baseOffset, let logAppendTime):
                deliver(batch, baseOffset: baseOffset, logAppendTime: logAppendTime, error: nil)
            case .failed(let batch, let error):
                deliver(batch, baseOffset: -1, logAppendTime: -1, error: error)
            case .refreshMetadata:
                metadataSchedule.want()
                requestMetadataIfNeeded()
            case .connect(let node):
                connect(node: node)
            case .closeConnection(let node):
                logger.warning("request timed out; closing the connection", metadata: ["kafka.node": "\(node)"])
                connection(for: node)?.channel?.close(promise: nil)
            case .initProducerId(let bumping):
                sendInitProducerId(bumping: bumping)
            case .split(let batch):
                split(batch)
            case .retrying(let partition, let error):
                warnRetrying(partition, error)
            case .identityRefused(let error):
                warnIdentityRefused(error)
            }
        }
        counters.retries.store(sender.retriedBatches, ordering: .relaxed)
        if sender.partitionErrors != copiedPartitionErrors {
            copiedPartitionErrors = sender.partitionErrors
            counters.setBrokerErrors(sender.partitionErrorsByCode)
        }
        checkFlushWaiters()
        rescheduleTimer()
    }

    /// Encodes and writes a Produce request.
    private func sendProduce(node: Int32, requestID: UInt64, items: [SenderAction.Item], expectsResponse: Bool) {
        guard let connection = connection(for: node), let channel = connection.channel,
            let version = connection.machine.versions?.produce
        else {
            // The connection went away between the decision and now: the request never left.
            if expectsResponse { run(sender.requestFailed(requestID, reason: "no connection to broker \(node)", now: clock())) }
            return
        }
        var byTopic: [String: [ProduceRequest.PartitionProduceData]] = [:]
        var order: [String] = []
        var bytes = 0
        for item in items {
            if byTopic[item.topicPartition.topic] == nil { order.append(item.topicPartition.topic) }
            byTopic[item.topicPartition.topic, default: []].append(
                .init(index: item.topicPartition.partition, records: item.records))
            bytes += item.records.readableBytes
        }
        let request = ProduceRequest(
            transactionalId: nil, acks: configuration.acks.rawValue, timeoutMs: Int32(clamping: configuration.requestTimeoutMs),
            topicData: order.map { .init(name: $0, partitionData: byTopic[$0]!) })
        let correlationId = connection.correlationId()
        var buffer = channel.allocator.buffer(capacity: bytes + 256)
        do {
            try KafkaFrame.encodeRequest(
                request, version: version, correlationId: correlationId, clientId: configuration.clientId, into: &buffer)
        } catch {
            logger.error("cannot encode a Produce request", metadata: ["error": "\(error)"])
            if expectsResponse { run(sender.requestFailed(requestID, reason: "encoding failed: \(error)", now: clock())) }
            return
        }
        if expectsResponse {
            connection.pending[correlationId] = .produce(requestID: requestID, version: version, partitions: items.count)
        }
        counters.requestsSent.wrappingAdd(1, ordering: .relaxed)
        counters.batchBytesSent.wrappingAdd(bytes, ordering: .relaxed)
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Splits a batch the broker found too large into two halves, sealed again (on a compression thread),
    /// in its place; its partition sends nothing meanwhile (the sender holds it at the head of the queue).
    private func split(_ batch: ProducerBatch) {
        compressing += 1
        // Like sealed batches: `close` waits for the compression threads before it stops the loop, so the
        // loop is still running when the halves come back.
        compression.split(batch.sealed) { [self] result in
            eventLoop.execute { self.splitDone(batch, result) }
        }
    }

    /// The halves of a split batch came back (on the event loop).
    private func splitDone(
        _ batch: ProducerBatch, _ result: Result<(first: SealedRecordBatch, second: SealedRecordBatch, middle: Int), Error>
    ) {
        compressing -= 1
        let now = clock()
        guard !closed else {
            checkFlushWaiters()
            return
        }
        switch result {
        case .success(let halves):
            let share = batch.reservedBytes / 2
            let first = ProducerBatch(
                id: nextBatchID, topicPartition: batch.topicPartition, index: batch.index, sealed: halves.first,
                tokens: Array(batch.tokens[..<halves.middle]), createdAt: batch.createdAt, reservedBytes: share)
            let second = ProducerBatch(
                id: nextBatchID + 1, topicPartition: batch.topicPartition, index: batch.index, sealed: halves.second,
                tokens: Array(batch.tokens[halves.middle...]), createdAt: batch.createdAt, reservedBytes: batch.reservedBytes - share)
            nextBatchID += 2
            logger.warning(
                "batch too large for the broker; split in two",
                metadata: ["kafka.topic": "\(batch.topicPartition.topic)", "kafka.partition": "\(batch.topicPartition.partition)",
                           "records": "\(batch.tokens.count)"])
            run(sender.batchSplit(batch.id, into: [first, second], now: now))
        case .failure(let error):
            run(sender.batchSplit(batch.id, into: [], now: now))
            deliver(batch, baseOffset: -1, logAppendTime: -1, error: ProducerError(
                .recordTooLarge, topic: batch.topicPartition.topic, partition: batch.topicPartition.partition,
                "the batch was too large and could not be split: \(error)"))
        }
    }

    /// Logs an error that is retried under `ferry.retry.all.errors`, at most every 10 s per partition.
    private func warnRetrying(_ partition: TopicPartition, _ error: ProducerError) {
        let now = clock()
        if let last = lastRetryWarning[partition], now - last < 10_000_000_000 { return }
        lastRetryWarning[partition] = now
        logger.error(
            "broker refuses records; retrying until the cause is fixed",
            metadata: [
                "kafka.topic": "\(partition.topic)", "kafka.partition": "\(partition.partition)",
                "kafka.error_code": "\(error.kafkaError.map { "\($0.rawValue) \($0.name)" } ?? "none")", "error": "\(error.message)",
            ])
    }

    /// Logs a refused producer id that is asked for again under `ferry.retry.all.errors`, at most every 10 s.
    private func warnIdentityRefused(_ error: ProducerError) {
        guard producerIds.warningDue(now: clock()) else { return }
        logger.error(
            "the broker refuses a producer id; records are held and sent once it grants one",
            metadata: ["kafka.error_code": "\(error.kafkaError.map { "\($0.rawValue) \($0.name)" } ?? "none")", "error": "\(error.message)"])
    }

    // MARK: - Timer

    /// Arms the single timer for the earliest thing that must happen.
    func rescheduleTimer() {
        guard !closed else { return }
        let now = clock()
        var next = sender.nextDeadline(now: now)
        func consider(_ time: UInt64?) {
            guard let time else { return }
            next = min(next ?? time, time)
        }
        consider(lingerDeadline)
        // Only future times: what is due now was just attempted, and the event that unblocks it (a
        // connection becoming ready, a response) triggers it again; a past time would spin the loop.
        func considerFuture(_ time: UInt64?) {
            guard let time, time > now else { return }
            consider(time)
        }
        for time in metadataSchedule.deadlines(now: now) { considerFuture(time) }
        for connection in connections {
            considerFuture(connection.machine.retryAt)
            consider(connection.earliestDeadline)
        }
        guard let deadline = next else { return }
        if let current = timerDeadline, current <= deadline, timer != nil { return }
        timer?.cancel()
        timerDeadline = deadline
        let delay = deadline > now ? Int64(deadline - now) : 0
        timer = eventLoop.scheduleTask(in: .nanoseconds(delay)) { [self] in
            timer = nil
            timerDeadline = nil
            tick()
        }
    }

    /// The timer fired: linger, retries, timeouts, metadata age, reconnects.
    func tick() {
        let now = clock()
        if let linger = lingerDeadline, linger <= now {
            lingerDeadline = nil
            let senderView = sender
            let (closedBatches, next) = accumulator.closeLingering(now: now) { senderView.isBacklogged($0) }
            lingerDeadline = next
            submit(closedBatches)
        }
        metadataSchedule.tick(now: now)
        // A handshake, metadata or producer-id request without an answer: the connection is dead.
        for connection in connections {
            if let deadline = connection.earliestDeadline, deadline <= now {
                if connection.machine.confirmed {
                    logger.warning(
                        "no response within request.timeout.ms; closing the connection",
                        metadata: ["kafka.node": "\(connection.node)", "kafka.broker": "\(connection.address)"])
                } else {
                    // A failed attempt: logged through the connection failure log when the channel closes.
                    connection.failure =
                        "no answer within request.timeout.ms (\(configuration.requestTimeoutMs) ms) to the handshake (ApiVersions or SASL) or the first request"
                }
                connection.deadlines = [:]
                connection.channel?.close(promise: nil)
            }
        }
        requestMetadataIfNeeded()
        run(sender.tick(now: now))
    }
}
