import KafkaWire
import Logging
import NIOCore
import NIOPosix

/// The event-loop side of the producer: it owns the cluster metadata, the broker connections and the
/// sender state machine, and performs every side effect they decide on, in `run(_:)`.
///
/// Confinement: every method runs on ``eventLoop`` (callers hop with `eventLoop.execute`). That is why the
/// class can be `@unchecked Sendable`: it is only ever touched from that one thread.
final class ProducerCore: @unchecked Sendable {
    let eventLoop: EventLoop
    let configuration: ProducerConfiguration
    let logger: Logger
    let accumulator: RecordAccumulator
    let compression: CompressionService
    let counters: ProducerCounters
    /// How broker connections are opened (TCP, or in-memory channels in tests).
    let connector: any BrokerConnector
    /// Monotonic nanoseconds: ``MonotonicClock/now()``, or a virtual clock in tests.
    let clock: @Sendable () -> UInt64
    private let onDelivery: @Sendable (DeliveryReport) -> Void

    var sender: SenderStateMachine
    var metadata = ClusterMetadata()
    var connections: [BrokerConnection] = []
    var nextBatchID: UInt64 = 1
    /// Batches handed to compression and not back yet.
    var compressing = 0
    var timer: Scheduled<Void>?
    var timerDeadline: UInt64?
    var lingerDeadline: UInt64?
    /// When to ask for metadata, and where (pure; tested alone by `MetadataSchedulerTests`).
    var metadataSchedule: MetadataScheduler
    var flushWaiters: [EventLoopPromise<Void>] = []
    var lastRetryWarning: [TopicPartition: UInt64] = [:]
    /// The sender's partition error count last copied to the counters.
    var copiedPartitionErrors = 0
    /// How producer ids are asked for and what the answers mean (pure; `ProducerIdPlannerTests`).
    var producerIds = ProducerIdPlanner()
    /// Which connection failures are logged (the first, then one a minute while they repeat).
    var connectionFailures = ConnectionFailureLog()
    /// The brokers whose last connection attempt failed, for errors read on other threads.
    let unreachable = Locked<[(broker: String, error: String)]>([])
    var closed = false

    init(
        configuration: ProducerConfiguration, eventLoop: EventLoop, logger: Logger, accumulator: RecordAccumulator,
        compression: CompressionService, counters: ProducerCounters, connector: any BrokerConnector,
        clock: @escaping @Sendable () -> UInt64 = MonotonicClock.now,
        onDelivery: @escaping @Sendable (DeliveryReport) -> Void
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.accumulator = accumulator
        self.compression = compression
        self.counters = counters
        self.connector = connector
        self.clock = clock
        self.onDelivery = onDelivery
        metadataSchedule = MetadataScheduler(
            maxAgeMs: configuration.metadataMaxAgeMs, retryBackoffMs: configuration.retryBackoffMs,
            retryBackoffMaxMs: configuration.retryBackoffMaxMs)
        let seed = UInt64(truncatingIfNeeded: clock()) ^ 0xFE44_7A11
        sender = SenderStateMachine(
            settings: .init(
                acks: configuration.acks.rawValue, idempotent: configuration.enableIdempotence,
                maxInFlightPerConnection: configuration.maxInFlightRequestsPerConnection,
                maxRequestSize: configuration.maxRequestSize, retries: configuration.retries,
                requestTimeoutNs: ProducerConfiguration.nanoseconds(milliseconds: configuration.requestTimeoutMs),
                deliveryTimeoutNs: ProducerConfiguration.nanoseconds(milliseconds: configuration.deliveryTimeoutMs),
                backoff: RetryBackoff(
                    initialMs: configuration.retryBackoffMs, maximumMs: configuration.retryBackoffMaxMs, seed: seed),
                retryAllErrors: configuration.retryAllErrors))
        for (index, address) in configuration.bootstrapServers.enumerated() {
            connections.append(BrokerConnection(
                node: -Int32(index) - 1, address: address, reconnectBackoff: reconnectBackoff(seed: UInt64(index)),
                sasl: configuration.sasl))
        }
    }

    func reconnectBackoff(seed: UInt64) -> RetryBackoff {
        RetryBackoff(
            initialMs: configuration.reconnectBackoffMs, maximumMs: configuration.reconnectBackoffMaxMs,
            seed: seed ^ UInt64(truncatingIfNeeded: clock()))
    }

    // MARK: - Entry points (on the event loop)

    /// The accumulator saw a new topic or started a batch.
    func wake(_ reason: RecordAccumulator.WakeReason) {
        switch reason {
        case .newTopic:
            metadataSchedule.want()
            requestMetadataIfNeeded()
        case .lingerDeadline(let deadline):
            lingerDeadline = min(lingerDeadline ?? deadline, deadline)
        }
        rescheduleTimer()
    }

    /// A batch came back from compression.
    func batchSealed(_ info: BatchInfo, sealed: Result<SealedRecordBatch, Error>) {
        compressing -= 1
        switch sealed {
        case .success where self.closed:
            // Sealed after close gave up waiting: nothing is sent any more.
            fail(info, ProducerError(.closed, "the producer closed before the batch was sent"))
        case .success(let batch):
            // From now on the batch holds its compressed size: give back the rest of buffer.memory.
            let held = min(info.reservedBytes, batch.sizeInBytes)
            if held < info.reservedBytes { accumulator.release(info.reservedBytes - held, topic: info.topicPartition.topic) }
            let producerBatch = ProducerBatch(
                id: nextBatchID, topicPartition: info.topicPartition, index: info.index, sealed: batch,
                tokens: info.tokens, createdAt: info.createdAt, reservedBytes: held)
            nextBatchID += 1
            run(sender.batchSealed(producerBatch, now: clock()))
        case .failure(let error as ProducerError) where error.code == .closed:
            // The compression threads stopped (close) before sealing it.
            fail(info, error)
        case .failure(let error):
            // Compression of our own records cannot fail short of a bug or memory exhaustion: report it.
            logger.error(
                "compressing a batch failed; its records are not sent",
                metadata: ["kafka.topic": "\(info.topicPartition.topic)", "kafka.partition": "\(info.topicPartition.partition)",
                           "records": "\(info.tokens.count)", "error": "\(error)"])
            fail(info, ProducerError(
                .compressionFailed, topic: info.topicPartition.topic, partition: info.topicPartition.partition,
                "compressing the batch failed: \(error)"))
        }
    }

    /// Reports every record of a batch that never reached the sender as failed with `error`.
    private func fail(_ info: BatchInfo, _ error: ProducerError) {
        accumulator.release(info.reservedBytes, topic: info.topicPartition.topic)
        counters.recordsFailed.wrappingAdd(info.tokens.count, ordering: .relaxed)
        onDelivery(info.failed(error))
        checkFlushWaiters()
    }

    /// Closes every open batch now (no linger): nothing more is coming soon.
    func closeOpenBatches() {
        submit(accumulator.closeAll())
    }

    /// Closes every open batch and succeeds `promise` once everything sent so far has an outcome.
    func flush(_ promise: EventLoopPromise<Void>) {
        submit(accumulator.closeAll())
        flushWaiters.append(promise)
        checkFlushWaiters()
    }

    /// Fails what is still pending (outcome unknown or never sent) and closes every connection.
    func shutDown() {
        closed = true
        run(sender.failAll(now: clock()))
        timer?.cancel()
        timer = nil
        for connection in connections {
            connection.channel?.close(promise: nil)
        }
        checkFlushWaiters()
    }

    // MARK: - Compression

    /// Sends closed batches to the compression threads; they come back through ``batchSealed(_:sealed:)``.
    func submit(_ batches: [ClosedBatch]) {
        guard !batches.isEmpty else { return }
        compressing += batches.count
        let accumulator = self.accumulator
        for batch in batches {
            compression.seal(batch, recycle: { accumulator.recycle($0) }) { [self] info, result in
                eventLoop.execute { self.batchSealed(info, sealed: result) }
            }
        }
    }

    // MARK: - Completion

    func deliver(_ batch: ProducerBatch, baseOffset: Int64, logAppendTime: Int64, error: ProducerError?) {
        accumulator.release(batch.reservedBytes, topic: batch.topicPartition.topic)
        if let error {
            counters.recordsFailed.wrappingAdd(batch.tokens.count, ordering: .relaxed)
            logger.error(
                "records not delivered",
                metadata: [
                    "kafka.topic": "\(batch.topicPartition.topic)", "kafka.partition": "\(batch.topicPartition.partition)",
                    "kafka.error_code": "\(error.kafkaError.map { "\($0.rawValue)" } ?? "none")",
                    "records": "\(batch.tokens.count)", "error": "\(error)",
                ])
        } else {
            counters.recordsDelivered.wrappingAdd(batch.tokens.count, ordering: .relaxed)
            counters.batchesDelivered.wrappingAdd(1, ordering: .relaxed)
            counters.deliveredBatchBytes.wrappingAdd(batch.sealed.sizeInBytes, ordering: .relaxed)
            counters.deliveredUncompressedBytes.wrappingAdd(batch.sealed.uncompressedSize, ordering: .relaxed)
        }
        onDelivery(DeliveryReport(
            topic: batch.topicPartition.topic, partition: batch.topicPartition.partition, baseOffset: baseOffset,
            tokens: batch.tokens, logAppendTime: logAppendTime, error: error))
    }

    func checkFlushWaiters() {
        guard !flushWaiters.isEmpty, compressing == 0, sender.pendingBatchCount == 0 else { return }
        let waiters = flushWaiters
        flushWaiters = []
        for waiter in waiters { waiter.succeed(()) }
    }
}
