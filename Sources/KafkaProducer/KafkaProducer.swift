import KafkaWire
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A Kafka producer, written in Swift over SwiftNIO, with the shape Kafka users know: created from
/// properties, `send(ProducerRecord)`, `flush()`, `close(timeout:)`; ordering per partition, idempotent
/// retries, compression on every core.
///
/// Three ways to send:
/// - `try await producer.send(record)` returns the record's ``RecordMetadata`` once the broker acknowledged
///   it (or throws ``ProducerError``); while the buffer is full it suspends its task, never a thread;
/// - `try producer.send(record) { result in ... }` returns once the record is buffered, and the callback
///   gets its metadata or error: Java's `send(record, callback)`, many records without a task each;
/// - `try producer.send(record, token: n)` returns as soon as the record is buffered, and the outcome of
///   every batch arrives later at the `onDelivery` handler given at creation, with the tokens of its records.
///   This is the fast path (the agent uses it, through ``append(topic:partition:timestamp:key:value:headerCount:headersSize:token:writeHeaders:)``).
///
/// The last two, like Java's `send`, block the calling thread for at most `max.block.ms` when
/// `buffer.memory` is full or the topic's metadata is not known yet.
public final class KafkaProducer: Sendable {
    /// The configuration in force.
    public let configuration: ProducerConfiguration
    /// What the producer did so far.
    public let counters = ProducerCounters()

    private let group: any EventLoopGroup
    /// Whether the group was made here (and is shut down by `close`).
    private let ownsGroup: Bool
    /// How other threads reach the core's event loop (refused once close stopped it).
    private let gate: LoopGate
    private let core: ProducerCore
    private let accumulator: RecordAccumulator
    private let compression: CompressionService
    private let waiting: Locked<[UInt64: Pending]>
    private let nextAsyncToken = Atomic<UInt64>(0)
    private let isClosed = Atomic<Bool>(false)
    private let maxBlockNs: UInt64
    /// Routes a report to the `async` senders and the `onDelivery` handler.
    private let deliver: @Sendable (DeliveryReport) -> Void

    /// The bit that marks tokens of ``send(_:)`` (`async`) records; tokens given to
    /// ``send(_:token:)`` must leave it clear.
    public static let reservedTokenBit: UInt64 = 1 << 63

    /// A record sent through ``send(_:)`` (`async`) or ``send(_:callback:)``, by token, until its outcome
    /// is handed over.
    private enum Pending {
        /// Buffered by the async `send`, whose caller has not suspended for the outcome yet.
        case sent(timestamp: Int64)
        /// The async caller waits for the outcome.
        case awaiting(CheckedContinuation<RecordMetadata, Error>, timestamp: Int64)
        /// The outcome came before the async caller suspended for it.
        case finished(Result<RecordMetadata, Error>)
        /// The outcome goes to this callback.
        case callback(@Sendable (Result<RecordMetadata, ProducerError>) -> Void, timestamp: Int64)
    }

    /// Creates a producer and starts connecting.
    ///
    /// - Parameters:
    ///   - configuration: the settings (see ``ProducerConfiguration/init(properties:)``).
    ///   - logger: where the producer logs (never created inside).
    ///   - eventLoopGroup: where the producer's I/O runs (one of its loops): the application's own group, or
    ///     nil for a one-thread group of the producer's own (shut down by `close`; a given group is not).
    ///   - channelInitializer: added first to every broker connection's pipeline (before TLS, when
    ///     ``ProducerConfiguration/securityProtocol`` is SSL).
    ///   - onDelivery: called once per batch, on the producer's event loop thread, with the outcome of
    ///     records sent through ``send(_:token:)``; it must return quickly. (Records appended while `close`
    ///     stops the loop are reported as `closed` on the appending thread.)
    /// - Throws: ``ProducerError`` `tls_setup_failed` when the TLS files cannot be used (read now): a
    ///   malformed certificate, an unreadable key, a wrong `ssl.key.password`.
    public init(
        configuration: ProducerConfiguration, logger: Logger, eventLoopGroup: (any EventLoopGroup)? = nil,
        channelInitializer: (@Sendable (Channel) -> EventLoopFuture<Void>)? = nil,
        onDelivery: @escaping @Sendable (DeliveryReport) -> Void = { _ in }
    ) throws {
        self.configuration = configuration
        maxBlockNs = ProducerConfiguration.nanoseconds(milliseconds: configuration.maxBlockMs)
        let tcp = TCPConnector(
            connectTimeout: .nanoseconds(Int64(clamping: ProducerConfiguration.nanoseconds(
                milliseconds: configuration.socketConnectionSetupTimeoutMs))),
            channelInitializer: channelInitializer)
        let connector: any BrokerConnector
        if configuration.securityProtocol.usesTLS {
            // First, before any thread starts: certificate and key files are read here.
            connector = try TLSConnector(settings: configuration.tls, tcp: tcp)
            if !configuration.tls.verifyHostname {
                logger.warning(
                    "TLS without hostname verification (ssl.endpoint.identification.algorithm=none): any certificate the CA signed is accepted for any broker")
            }
        } else {
            connector = tcp
        }
        group = eventLoopGroup ?? MultiThreadedEventLoopGroup(numberOfThreads: 1)
        ownsGroup = eventLoopGroup == nil
        let loop = group.next()
        let gate = LoopGate(loop)
        self.gate = gate
        let waiting = Locked<[UInt64: Pending]>([:])
        self.waiting = waiting
        compression = try CompressionService(
            compression: configuration.compressionType, level: configuration.compressionLevel,
            threads: configuration.compressionThreads)
        let coreBox = Locked<ProducerCore?>(nil)
        accumulator = RecordAccumulator(configuration: configuration) { reason in
            gate.execute { coreBox.withLock { $0 }?.wake(reason) }
        }
        let counters = self.counters
        let deliver: @Sendable (DeliveryReport) -> Void = { report in
            Self.dispatch(report, waiting: waiting, userHandler: onDelivery)
        }
        self.deliver = deliver
        core = ProducerCore(
            configuration: configuration, eventLoop: loop, logger: logger, accumulator: accumulator,
            compression: compression, counters: counters,
            connector: connector,
            onDelivery: deliver)
        let created = core
        coreBox.withLock { $0 = created }
        for (name, why) in configuration.ignoredProperties.sorted(by: { $0.key < $1.key }) {
            logger.notice("property has no effect in this client", metadata: ["property": "\(name)", "why": "\(why)"])
        }
        gate.execute { created.requestMetadataIfNeeded() }
    }

    /// Creates a producer from Kafka properties, as Java's `new KafkaProducer<>(props)`: every bad property
    /// is reported at once (``ProducerConfigurationErrors``).
    public convenience init(
        properties: [String: String], logger: Logger = Logger(label: "KafkaProducer"),
        eventLoopGroup: (any EventLoopGroup)? = nil
    ) throws {
        try self.init(configuration: ProducerConfiguration(properties: properties), logger: logger, eventLoopGroup: eventLoopGroup)
    }

    /// Routes a batch's outcome: records of `async` sends resume their callers, records sent with a
    /// callback reach it, the rest go to the handler.
    private static func dispatch(
        _ report: DeliveryReport, waiting: Locked<[UInt64: Pending]>, userHandler: @Sendable (DeliveryReport) -> Void
    ) {
        var userTokens: [UInt64] = []
        var resumed: [(CheckedContinuation<RecordMetadata, Error>, Result<RecordMetadata, ProducerError>)] = []
        var called: [(@Sendable (Result<RecordMetadata, ProducerError>) -> Void, Result<RecordMetadata, ProducerError>)] = []
        func outcome(_ index: Int, _ timestamp: Int64) -> Result<RecordMetadata, ProducerError> {
            if let error = report.error { return .failure(error) }
            return .success(RecordMetadata(
                topic: report.topic, partition: report.partition,
                offset: report.baseOffset >= 0 ? report.baseOffset + Int64(index) : -1,
                timestamp: report.logAppendTime >= 0 ? report.logAppendTime : timestamp))
        }
        waiting.withLock { table in
            for (index, token) in report.tokens.enumerated() {
                guard token & reservedTokenBit != 0, let pending = table[token] else {
                    userTokens.append(token)
                    continue
                }
                switch pending {
                case .sent(let timestamp):
                    table[token] = .finished(outcome(index, timestamp).mapError { $0 as Error })
                case .awaiting(let continuation, let timestamp):
                    table[token] = nil
                    resumed.append((continuation, outcome(index, timestamp)))
                case .callback(let callback, let timestamp):
                    table[token] = nil
                    called.append((callback, outcome(index, timestamp)))
                case .finished:
                    break
                }
            }
        }
        for (continuation, result) in resumed { continuation.resume(with: result.mapError { $0 as Error }) }
        for (callback, result) in called { callback(result) }
        if !userTokens.isEmpty {
            var forUser = report
            forUser.tokens = userTokens
            userHandler(forUser)
        }
    }

    // MARK: - Sending

    /// Sends a record and waits for the broker's acknowledgement. Never blocks a thread: when
    /// `buffer.memory` is full or the topic's metadata is not known yet, the task suspends until space is
    /// released or metadata arrives, and fails after `max.block.ms` (``ProducerError/Code-swift.struct/bufferExhausted``,
    /// ``ProducerError/Code-swift.struct/metadataTimeout``). A task cancelled while it waits so fails with
    /// `CancellationError` (a record already buffered is sent anyway).
    public func send(_ record: ProducerRecord) async throws -> RecordMetadata {
        // Registered before the record is buffered: its outcome may come before this task suspends.
        let (token, stamped, timestamp) = register(record) { .sent(timestamp: $0) }
        do {
            try await enqueueSuspending(stamped, token: token)
        } catch {
            waiting.withLock { _ = $0.removeValue(forKey: token) }
            throw error
        }
        return try await withCheckedThrowingContinuation { continuation in
            let finished: Result<RecordMetadata, Error>? = waiting.withLock { table in
                if case .finished(let result)? = table[token] {
                    table[token] = nil
                    return result
                }
                table[token] = .awaiting(continuation, timestamp: timestamp)
                return nil
            }
            if let finished { continuation.resume(with: finished) }
        }
    }

    /// Sends a record and returns once it is buffered; `callback` gets its metadata or error later, on the
    /// producer's event loop thread (it must return quickly), as Java's `send(record, callback)`. This is
    /// how to send many records and learn each one's fate without a task per record. Like Java's `send`, it
    /// blocks the calling thread up to `max.block.ms` when `buffer.memory` is full (prefer the async
    /// ``send(_:)`` from a task); errors before buffering are thrown, not given to the callback.
    public func send(
        _ record: ProducerRecord, callback: @escaping @Sendable (Result<RecordMetadata, ProducerError>) -> Void
    ) throws(ProducerError) {
        let (token, stamped, _) = register(record) { .callback(callback, timestamp: $0) }
        do {
            try enqueue(stamped, token: token, wait: .block(maxBlockNs))
        } catch {
            waiting.withLock { _ = $0.removeValue(forKey: token) }
            throw error
        }
    }

    /// Gives a record of ``send(_:)`` or ``send(_:callback:)`` its token (``reservedTokenBit`` set) and its
    /// timestamp (now, unless it has one), and registers what its outcome goes to.
    private func register(
        _ record: ProducerRecord, _ pending: (_ timestamp: Int64) -> Pending
    ) -> (token: UInt64, record: ProducerRecord, timestamp: Int64) {
        let token = nextAsyncToken.wrappingAdd(1, ordering: .relaxed).oldValue | Self.reservedTokenBit
        var stamped = record
        let timestamp = record.timestamp ?? WallClock.milliseconds()
        stamped.timestamp = timestamp
        let entry = pending(timestamp)
        waiting.withLock { $0[token] = entry }
        return (token, stamped, timestamp)
    }

    /// Buffers a record, suspending (never blocking) while it must wait, up to `max.block.ms`.
    private func enqueueSuspending(_ record: ProducerRecord, token: UInt64) async throws {
        _ = try await suspending(topic: record.topic) { ticket throws(ProducerError) in
            try enqueue(record, token: token, wait: .never(ticket))
        }
    }

    /// Runs `attempt` until it does not need to wait, suspending the task (never blocking a thread) between
    /// tries until the accumulator changes, for at most `max.block.ms` in all.
    private func suspending<T>(
        topic: String, _ attempt: (RecordAccumulator.WaitTicket) throws(ProducerError) -> T
    ) async throws -> T {
        let ticket = RecordAccumulator.WaitTicket()
        let deadline = MonotonicClock.now() + maxBlockNs
        let accumulator = self.accumulator
        let gate = self.gate
        while true {
            if let result = try Self.withoutWaiting(ticket, attempt) { return result }
            let now = MonotonicClock.now()
            guard now < deadline else {
                throw namingUnreachableBrokers(
                    ticket.timeoutError ?? ProducerError(.bufferExhausted, topic: topic, "max.block.ms passed"))
            }
            try Task.checkCancellation()
            let parking = Locked<(id: UInt64?, timer: Scheduled<Void>?)>((nil, nil))
            await withTaskCancellationHandler {
                await accumulator.park(ticket) { id in
                    let timer = gate.withLoop { loop in
                        loop.scheduleTask(in: .nanoseconds(Int64(deadline - now))) { accumulator.unpark(id) }
                    }
                    parking.withLock { $0 = (id, timer) }
                    if Task.isCancelled { accumulator.unpark(id) }
                }
            } onCancel: {
                if let id = parking.withLock({ $0.id }) { accumulator.unpark(id) }
            }
            parking.withLock { $0.timer }?.cancel()
        }
    }

    /// `attempt`'s result, or nil (and `ticket` filled) if it must wait.
    private static func withoutWaiting<T>(
        _ ticket: RecordAccumulator.WaitTicket, _ attempt: (RecordAccumulator.WaitTicket) throws(ProducerError) -> T
    ) throws(ProducerError) -> T? {
        do {
            return try attempt(ticket)
        } catch {
            if error.code == .wouldBlock { return nil }
            throw error
        }
    }

    /// Buffers a record and returns at once; its outcome reaches `onDelivery` with `token` (which must not
    /// have ``reservedTokenBit`` set). Returns the partition chosen.
    @discardableResult
    public func send(_ record: ProducerRecord, token: UInt64) throws(ProducerError) -> Int32 {
        guard token & Self.reservedTokenBit == 0 else {
            throw ProducerError(.invalidPartition, "tokens must leave bit 63 clear (it marks async sends)")
        }
        return try enqueue(record, token: token)
    }

    @discardableResult
    private func enqueue(_ record: ProducerRecord, token: UInt64, wait: RecordAccumulator.WaitMode? = nil) throws(ProducerError) -> Int32 {
        try checkTypes(of: record)
        let headersSize = record.headers.reduce(0) { $0 + $1.encodedSize }
        let timestamp = record.timestamp ?? WallClock.milliseconds()
        var outcome: Result<Int32, ProducerError> = .failure(ProducerError(.closed, "not sent"))
        (record.key ?? []).withUnsafeBytes { keyBytes in
            (record.value ?? []).withUnsafeBytes { valueBytes in
                outcome = Result { () throws(ProducerError) -> Int32 in
                    try append(
                        topic: record.topic, partition: record.partition, timestamp: timestamp,
                        key: record.key == nil ? nil : keyBytes, value: record.value == nil ? nil : valueBytes,
                        headerCount: record.headers.count, headersSize: headersSize, token: token,
                        wait: wait ?? .block(maxBlockNs)
                    ) { pointer in
                        RecordHeader.write(record.headers, to: pointer)
                    }
                }
            }
        }
        return try outcome.get()
    }

    /// Refuses a record whose key or value was given as another type than the configured serializer's.
    private func checkTypes(of record: ProducerRecord) throws(ProducerError) {
        for (part, given, configured, property) in [
            ("key", record.keyType, configuration.keySerializer, "key.serializer"),
            ("value", record.valueType, configuration.valueSerializer, "value.serializer"),
        ] {
            if let given, let configured, given != configured {
                throw ProducerError(
                    .serializationError, topic: record.topic,
                    "the record's \(part) is given for \(given) but \(property) is \(configured)")
            }
        }
    }

    /// The allocation-free path: appends one record from raw bytes. Headers are written by `writeHeaders`
    /// at the pointer it gets (exactly `headersSize` bytes, `headerCount` headers, in record-header
    /// encoding). The key chooses the partition (murmur2) unless `partition` is given; keyless records go to
    /// the sticky partition. Returns the partition chosen; the outcome reaches `onDelivery` with `token`.
    @discardableResult
    public func append(
        topic: String, partition: Int32?, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headerCount: Int, headersSize: Int, token: UInt64, writeHeaders: (UnsafeMutableRawPointer) -> Void
    ) throws(ProducerError) -> Int32 {
        try append(
            topic: topic, partition: partition, timestamp: timestamp, key: key, value: value, headerCount: headerCount,
            headersSize: headersSize, token: token, wait: .block(maxBlockNs), writeHeaders: writeHeaders)
    }

    private func append(
        topic: String, partition: Int32?, timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?,
        headerCount: Int, headersSize: Int, token: UInt64, wait: RecordAccumulator.WaitMode,
        writeHeaders: (UnsafeMutableRawPointer) -> Void
    ) throws(ProducerError) -> Int32 {
        let (chosen, closed): (Int32, [ClosedBatch])
        do {
            (chosen, closed) = try accumulator.append(
                topic: topic, partition: partition, timestamp: timestamp, key: key, value: value, headerCount: headerCount,
                headersSize: headersSize, writeHeaders: writeHeaders, token: token, wait: wait)
        } catch {
            throw error.code == .wouldBlock ? error : namingUnreachableBrokers(error)
        }
        counters.recordsSent.wrappingAdd(1, ordering: .relaxed)
        if !closed.isEmpty {
            let core = self.core
            if !gate.execute({ core.submit(closed) }) { failUnsubmitted(closed) }
        }
        return chosen
    }

    /// The number of partitions of `topic`, waiting up to `max.block.ms` for its metadata.
    public func partitionCount(of topic: String) throws(ProducerError) -> Int32 {
        do {
            return try accumulator.partitionCount(of: topic, wait: .block(maxBlockNs))
        } catch {
            throw namingUnreachableBrokers(error)
        }
    }

    /// Every partition of `topic` with its leader and replicas (Java's `partitionsFor`), waiting (suspended,
    /// up to `max.block.ms`) for the topic's metadata.
    public func partitionsFor(_ topic: String) async throws -> [PartitionInfo] {
        let accumulator = self.accumulator
        _ = try await suspending(topic: topic) { ticket throws(ProducerError) in
            try accumulator.partitionCount(of: topic, wait: .never(ticket))
        }
        let core = self.core
        guard let future = gate.withLoop({ loop in loop.submit { core.metadata.partitions(of: topic) } }) else {
            throw ProducerError(.closed, topic: topic, "the producer is closed")
        }
        guard let partitions = try await future.get() else {
            throw ProducerError(.metadataTimeout, topic: topic, "the topic's metadata was dropped; try again")
        }
        return partitions
    }

    /// The producer's metrics, by the Java client's names where one means the same (`record-send-total`,
    /// `record-error-total`, `buffer-total-bytes`, `buffer-available-bytes`, `waiting-threads`), and
    /// `ferry-` names for the rest. Java's `record-retry-total` counts records; `ferry-batch-retry-total`
    /// counts batch attempts.
    public func metrics() -> [String: Double] {
        let buffered = accumulator.buffered
        return [
            "record-send-total": Double(counters.recordsSent.load(ordering: .relaxed)),
            "record-error-total": Double(counters.recordsFailed.load(ordering: .relaxed)),
            "buffer-total-bytes": Double(configuration.bufferMemory),
            "buffer-available-bytes": Double(max(0, configuration.bufferMemory - buffered)),
            "waiting-threads": Double(accumulator.parkedCount),
            "ferry-record-delivered-total": Double(counters.recordsDelivered.load(ordering: .relaxed)),
            "ferry-batch-delivered-total": Double(counters.batchesDelivered.load(ordering: .relaxed)),
            "ferry-batch-retry-total": Double(counters.retries.load(ordering: .relaxed)),
            "ferry-produce-request-total": Double(counters.requestsSent.load(ordering: .relaxed)),
            "ferry-batch-byte-total": Double(counters.batchBytesSent.load(ordering: .relaxed)),
            "ferry-connection-failure-total": Double(counters.connectionFailures.load(ordering: .relaxed)),
        ]
    }

    /// A metadata timeout names the brokers that could not be reached, and why.
    private func namingUnreachableBrokers(_ error: ProducerError) -> ProducerError {
        guard error.code == .metadataTimeout else { return error }
        let unreachable = core.unreachable.withLock { $0 }
        guard !unreachable.isEmpty else { return error }
        var named = error
        // The topic may well exist: the brokers were never reached to ask.
        named.message = named.message.replacing(" (does it exist?)", with: "")
        named.message += "; brokers not reachable: "
            + unreachable.prefix(10).map { "\($0.broker) (\($0.error))" }.joined(separator: ", ")
        return named
    }

    /// Whether a broker has answered a Metadata request: the cluster was reached (TCP, TLS and SASL all
    /// passed). `ferry run` tells systemd it is ready from then on.
    public var hasMetadata: Bool { counters.metadataResponses.load(ordering: .relaxed) > 0 }

    /// Bytes of `buffer.memory` in use: records being batched (uncompressed) and batches waiting for
    /// acknowledgement (compressed).
    public var bufferedBytes: Int { accumulator.buffered }

    /// The part of ``bufferedBytes`` held by records of `topic`: what a topic that cannot be written to
    /// keeps from the others.
    public func bufferedBytes(topic: String) -> Int { accumulator.buffered(topic: topic) }

    /// The longest value a record with a key of `keyLength` bytes (-1: none) and these headers may have and
    /// still fit in one request (`max.request.size`, less the batch and request framing). A longer value is
    /// refused with ``ProducerError/Code-swift.struct/recordTooLarge``; a caller that cannot refuse it (a log
    /// shipper) splits it in pieces of at most this size. At most 10 bytes below the exact limit.
    public func maximumValueSize(keyLength: Int, headerCount: Int, headersSize: Int) -> Int {
        let framing = RecordBatchLayout.headerSize + RecordAccumulator.requestOverhead
            + RecordBatchBuilder.estimatedRecordSize(
                keyLength: keyLength, valueLength: 0, headerCount: headerCount, headersSize: headersSize)
        // The value's length varint and the record's own length varint grow by up to 4 bytes each beyond
        // their size for an empty value.
        return max(0, configuration.maxRequestSize - framing - 8)
    }

    /// Sends the batches being filled now instead of after `linger.ms`, without waiting for anything: for a
    /// caller that knows no more records are coming soon (the agent, when it pauses reading).
    public func sendOpenBatches() {
        let core = self.core
        gate.execute { core.closeOpenBatches() }
    }

    // MARK: - Flush and close

    /// Sends everything buffered now (ignoring `linger.ms`) and returns once every record sent so far has
    /// an outcome.
    public func flush() async {
        let core = self.core
        // After close, every record already has its outcome: nothing to wait for.
        let flushed = gate.withLoop { loop in
            let promise = loop.makePromise(of: Void.self)
            loop.execute { core.flush(promise) }
            return promise.futureResult
        }
        try? await flushed?.get()
    }

    /// Reports the records of batches that closed while `close` stopped the event loop as `closed`.
    private func failUnsubmitted(_ batches: [ClosedBatch]) {
        for batch in batches {
            accumulator.release(batch.info.reservedBytes, topic: batch.info.topicPartition.topic)
            counters.recordsFailed.wrappingAdd(batch.info.tokens.count, ordering: .relaxed)
            deliver(batch.info.failed(ProducerError(.closed, "the producer closed before the batch was sent")))
        }
    }

    /// Java's `close()`: stops accepting records and waits, without a limit, until every buffered record has
    /// its outcome, then releases every resource. Returns whether everything was acknowledged.
    @discardableResult
    public func close() async -> Bool {
        await close(timeout: .seconds(Int64.max))
    }

    /// Stops accepting records, waits up to `timeout` for the buffered ones to be acknowledged, then
    /// reports what is left (``ProducerError/Code-swift.struct/outcomeUnknown`` for records that may be in
    /// Kafka, ``ProducerError/Code-swift.struct/closed`` for the others) and releases every resource.
    /// Returns whether everything was acknowledged in time.
    @discardableResult
    public func close(timeout: Duration) async -> Bool {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return true }
        let core = self.core
        let flushed = core.eventLoop.makePromise(of: Void.self)
        core.eventLoop.execute { core.flush(flushed) }
        accumulator.shutDown()
        // Saturating: a timeout of years (or Duration's maximum) waits "forever" instead of trapping.
        let seconds = min(max(timeout.components.seconds, 0), Int64(ProducerConfiguration.foreverMs / 1000))
        let nanoseconds = seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        let deadline = core.eventLoop.scheduleTask(in: .nanoseconds(max(nanoseconds, 0))) {
            flushed.fail(ProducerError(.closed, "close timed out"))
        }
        let clean = (try? await flushed.futureResult.get()) != nil
        deadline.cancel()
        try? await core.eventLoop.submit { core.shutDown() }.get()
        // Batches still being compressed come back to the core's event loop (and fail as `closed`): wait for
        // the compression threads, then for the loop to have run what they handed it, before stopping it.
        await compression.shutDown()
        gate.stop()
        try? await core.eventLoop.submit {}.get()
        if ownsGroup { try? await group.shutdownGracefully() }
        return clean
    }
}
