import KafkaWire
import NIOCore

/// Collects records into one open batch per partition, bounded by `buffer.memory`.
///
/// Called from any thread (`send` runs on the caller's thread); everything is guarded by one lock. A batch
/// closes when the next record would not fit in `batch.size`, when it reaches `batch.size`, when it has
/// lingered `linger.ms` (``closeLingering(now:isBacklogged:)``, called by the producer core), or on flush.
/// Closed batches are returned to the caller, which hands them to compression.
final class RecordAccumulator: @unchecked Sendable {
    /// Per-record framing overhead allowed for when checking a record against `max.request.size`.
    static let requestOverhead = 200

    private let monitor = Monitor()
    private var topics: [String: TopicHandle] = [:]
    private var bufferedBytes = 0
    private var openBatchCount = 0
    private var closed = false
    private let batchSize: Int
    private let bufferMemory: Int
    private let maxRequestSize: Int
    private let lingerNs: UInt64
    private let ignoreKeys: Bool
    /// Called (outside the lock) when a topic needs metadata or a new batch starts lingering.
    private let wake: @Sendable (WakeReason) -> Void
    /// Monotonic nanoseconds for batch creation and linger deadlines (a virtual clock in tests).
    private let clock: @Sendable () -> UInt64
    private var random = SystemRandomNumberGenerator()
    private var spareBuilders: [RecordBatchBuilder] = []
    private var lastHandle: TopicHandle?
    /// Counts the changes that can let a waiting sender go on (metadata, released bytes, shutdown).
    private var changes: UInt64 = 0
    /// Async senders parked until the next change (``park(_:)``), in arrival order.
    private var parked: [UInt64: CheckedContinuation<Void, Never>] = [:]
    private var parkedOrder = CircularBuffer<UInt64>()
    private var nextParkID: UInt64 = 0

    /// Where a sender that must not block learns why it would have waited.
    final class WaitTicket: @unchecked Sendable {
        /// The change count when the append found it must wait: parking returns at once if it moved.
        var changes: UInt64 = 0
        /// The error the append would throw if the wait timed out (`buffer_exhausted`, `metadata_timeout`).
        var timeoutError: ProducerError?
    }

    /// How an append waits for metadata or buffer space.
    enum WaitMode {
        /// Block the calling thread up to this many nanoseconds (the non-async `send`).
        case block(UInt64)
        /// Never block: throw ``ProducerError/Code/wouldBlock`` and fill the ticket (the async `send`).
        case never(WaitTicket)
    }

    /// Why the accumulator wakes the core.
    enum WakeReason: Sendable {
        /// A topic was seen for the first time: fetch its metadata.
        case newTopic(String)
        /// A batch started; it must be closed at this monotonic time at the latest.
        case lingerDeadline(UInt64)
    }

    init(
        configuration: ProducerConfiguration, clock: @escaping @Sendable () -> UInt64 = MonotonicClock.now,
        wake: @escaping @Sendable (WakeReason) -> Void
    ) {
        self.clock = clock
        batchSize = configuration.effectiveBatchSize
        bufferMemory = configuration.bufferMemory
        maxRequestSize = configuration.maxRequestSize
        lingerNs = ProducerConfiguration.nanoseconds(milliseconds: configuration.lingerMs)
        ignoreKeys = configuration.partitionerIgnoreKeys
        self.wake = wake
    }

    /// Bytes of records held (open and closed batches not yet completed).
    var buffered: Int { monitor.withLock { bufferedBytes } }

    /// Names of every topic records were sent to (for metadata requests).
    var topicNames: [String] { monitor.withLock { Array(topics.keys) } }

    /// Installs metadata for `topic`: its partition count and which partitions have a leader now, or an
    /// error that fails sends to it at once. Wakes senders waiting for it.
    func updateTopic(_ topic: String, partitionCount: Int32, available: [Int32], error: ProducerError?) {
        monitor.withLock {
            let handle = topics[topic] ?? TopicHandle(name: topic)
            topics[topic] = handle
            if partitionCount > 0 { handle.setPartitions(count: partitionCount, available: available) }
            handle.fatalError = error
            changed()
        }
    }

    /// Appends one record; blocks up to `maxBlockNs` for metadata or buffer space (the clock is read only
    /// when it has to wait).
    ///
    /// `partitionKey` (the key bytes) chooses the partition with murmur2 unless `partition` is given or
    /// keys are ignored; keyless records go to the sticky partition. Returns the partition chosen and any
    /// batches that closed (to be compressed and sent).
    func append(
        topic: String, partition explicitPartition: Int32?, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headerCount: Int, headersSize: Int,
        writeHeaders: (UnsafeMutableRawPointer) -> Void, token: UInt64, maxBlockNs: UInt64
    ) throws(ProducerError) -> (partition: Int32, closed: [ClosedBatch]) {
        try append(
            topic: topic, partition: explicitPartition, timestamp: timestamp, key: key, value: value, headerCount: headerCount,
            headersSize: headersSize, writeHeaders: writeHeaders, token: token, wait: .block(maxBlockNs))
    }

    /// Appends one record, waiting as `wait` says.
    func append(
        topic: String, partition explicitPartition: Int32?, timestamp: Int64, key: UnsafeRawBufferPointer?,
        value: UnsafeRawBufferPointer?, headerCount: Int, headersSize: Int,
        writeHeaders: (UnsafeMutableRawPointer) -> Void, token: UInt64, wait: WaitMode
    ) throws(ProducerError) -> (partition: Int32, closed: [ClosedBatch]) {
        var closedBatches: [ClosedBatch] = []
        var wakeReason: WakeReason? = nil
        defer { if let wakeReason { wake(wakeReason) } }
        pthreadLock()
        defer { pthreadUnlock() }
        guard !closed else { throw ProducerError(.closed, topic: topic, "the producer is closed") }
        let handle: TopicHandle
        if let last = lastHandle, last.name == topic {
            handle = last  // the common case: the same topic as the previous record, no hashing
        } else if let known = topics[topic] {
            handle = known
            lastHandle = known
        } else {
            handle = TopicHandle(name: topic)
            topics[topic] = handle
            // The wake must happen now, not at return: the metadata it triggers is what we wait for.
            pthreadUnlock()
            wake(.newTopic(topic))
            pthreadLock()
        }
        var deadline: UInt64 = 0
        while handle.partitionCount == 0 && handle.fatalError == nil {
            try waitForChange(
                wait, deadline: &deadline, topic: topic,
                ProducerError(.metadataTimeout, topic: topic, "no metadata for the topic within max.block.ms (does it exist?)"))
        }
        if let fatal = handle.fatalError { throw fatal }

        let size = RecordBatchBuilder.estimatedRecordSize(
            keyLength: key?.count ?? -1, valueLength: value?.count ?? -1, headerCount: headerCount, headersSize: headersSize)
        guard size + RecordBatchLayout.headerSize + Self.requestOverhead <= maxRequestSize else {
            throw ProducerError(
                .recordTooLarge, topic: topic,
                "the record is \(size) bytes, more than max.request.size (\(maxRequestSize)) allows")
        }
        while bufferedBytes + size > bufferMemory && bufferedBytes > 0 {
            try waitForChange(
                wait, deadline: &deadline, topic: topic,
                ProducerError(
                    .bufferExhausted, topic: topic,
                    "buffer.memory (\(bufferMemory) bytes) stayed full for max.block.ms; the brokers are not keeping up"))
        }

        var partition: Int32
        let keyed = key != nil && !ignoreKeys && explicitPartition == nil
        if let explicitPartition {
            guard explicitPartition >= 0, explicitPartition < handle.partitionCount else {
                throw ProducerError(
                    .invalidPartition, topic: topic, partition: explicitPartition,
                    "the topic has \(handle.partitionCount) partitions")
            }
            partition = explicitPartition
        } else if keyed, let key {
            partition = Murmur2.partition(forKey: key, partitionCount: handle.partitionCount)
        } else {
            partition = stickyPartition(of: handle)
        }

        // Close the open batch if this record does not fit; keyless records then move to a new sticky partition.
        if let open = handle.slots[Int(partition)].open,
            open.builder.sizeInBytes + size > batchSize
        {
            closedBatches.append(close(handle, partition))
            if !keyed && explicitPartition == nil {
                handle.stickyPartition = nil
                partition = stickyPartition(of: handle)
                if let other = handle.slots[Int(partition)].open, other.builder.sizeInBytes + size > batchSize {
                    closedBatches.append(close(handle, partition))
                }
            }
        }
        if handle.slots[Int(partition)].open == nil {
            let now = clock()
            handle.slots[Int(partition)].open = OpenBatch(
                builder: spareBuilders.popLast() ?? RecordBatchBuilder(capacity: min(batchSize, 64 * 1024)), tokens: [],
                createdAt: now, reservedBytes: 0)
            openBatchCount += 1
            wakeReason = .lingerDeadline(now + lingerNs)
        }
        let filled: Int = handle.withOpenBatch(Int(partition)) { open in
            open.builder.append(
                timestamp: timestamp, key: key, value: value, headerCount: headerCount, headersSize: headersSize,
                writeHeaders: writeHeaders)
            open.tokens.append(token)
            open.reservedBytes += size
            return open.builder.sizeInBytes
        }
        bufferedBytes += size
        handle.bufferedBytes += size
        if filled >= batchSize {
            closedBatches.append(close(handle, partition))
            if !keyed && explicitPartition == nil { handle.stickyPartition = nil }
        }
        return (partition, closedBatches)
    }

    /// Closes batches that have lingered `linger.ms` and whose partition has nothing waiting to be sent
    /// (a backlogged partition keeps filling its batch: natural batching under load). Returns them and
    /// the next linger deadline, if any batch stays open.
    func closeLingering(now: UInt64, isBacklogged: (TopicPartition) -> Bool) -> (closed: [ClosedBatch], next: UInt64?) {
        monitor.withLock {
            var result: [ClosedBatch] = []
            var next: UInt64? = nil
            guard openBatchCount > 0 else { return ([], nil) }
            for handle in topics.values {
                for index in handle.slots.indices {
                    guard let open = handle.slots[index].open else { continue }
                    let due = open.createdAt + lingerNs
                    let partition = TopicPartition(topic: handle.name, partition: Int32(index))
                    if due <= now && !isBacklogged(partition) {
                        result.append(close(handle, Int32(index)))
                        if handle.stickyPartition == Int32(index) { handle.stickyPartition = nil }
                    } else {
                        let retry = due <= now ? now + 1_000_000 : due
                        next = min(next ?? retry, retry)
                    }
                }
            }
            return (result, next)
        }
    }

    /// Closes every open batch (flush and close).
    func closeAll() -> [ClosedBatch] {
        monitor.withLock {
            var result: [ClosedBatch] = []
            for handle in topics.values {
                for index in handle.slots.indices where handle.slots[index].open != nil {
                    result.append(close(handle, Int32(index)))
                }
                handle.stickyPartition = nil
            }
            return result
        }
    }

    /// The partition count of `topic`, waiting as `wait` says for its metadata.
    func partitionCount(of topic: String, wait: WaitMode) throws(ProducerError) -> Int32 {
        var isNew = false
        monitor.withLock {
            if topics[topic] == nil {
                topics[topic] = TopicHandle(name: topic)
                isNew = true
            }
        }
        if isNew { wake(.newTopic(topic)) }
        pthreadLock()
        defer { pthreadUnlock() }
        let handle = topics[topic]!
        var deadline: UInt64 = 0
        while handle.partitionCount == 0 && handle.fatalError == nil {
            try waitForChange(
                wait, deadline: &deadline, topic: topic,
                ProducerError(.metadataTimeout, topic: topic, "no metadata for the topic within max.block.ms (does it exist?)"))
        }
        if let fatal = handle.fatalError { throw fatal }
        return handle.partitionCount
    }

    /// Waits (the lock held) for a change; throws `timeout` once the wait's `max.block.ms` has passed, or
    /// `wouldBlock` at once (the ticket filled) when it must not block.
    private func waitForChange(
        _ wait: WaitMode, deadline: inout UInt64, topic: String, _ timeout: @autoclosure () -> ProducerError
    ) throws(ProducerError) {
        guard !closed else { throw ProducerError(.closed, topic: topic, "the producer is closed") }
        switch wait {
        case .never(let ticket):
            ticket.changes = changes
            ticket.timeoutError = timeout()
            throw ProducerError(.wouldBlock, topic: topic, "must wait")
        case .block(let maxBlockNs):
            if deadline == 0 { deadline = MonotonicClock.now() + maxBlockNs }
            if !monitor.wait(until: deadline) && MonotonicClock.now() >= deadline { throw timeout() }
        }
    }

    /// Takes back an emptied builder (after sealing) so that the next batch reuses its memory.
    func recycle(_ builder: RecordBatchBuilder) {
        guard builder.isEmpty, builder.capacity <= batchSize * 2 else { return }
        monitor.withLock {
            if spareBuilders.count < Self.maximumSpareBuilders { spareBuilders.append(builder) }
        }
    }

    /// How many emptied builders are kept for reuse (their memory is outside `buffer.memory`).
    static let maximumSpareBuilders = 4

    /// Returns `bytes` of `buffer.memory` held by `topic`'s records after a batch completed (or shrank when
    /// sealed), waking blocked senders.
    func release(_ bytes: Int, topic: String) {
        monitor.withLock {
            bufferedBytes -= bytes
            topics[topic]?.bufferedBytes -= bytes
            changed()
        }
    }

    /// Bytes of `buffer.memory` held by `topic`'s records.
    func buffered(topic: String) -> Int {
        monitor.withLock { topics[topic]?.bufferedBytes ?? 0 }
    }

    /// Refuses further appends and wakes blocked senders (they fail with `closed`).
    func shutDown() {
        monitor.withLock {
            closed = true
            changed()
        }
    }

    /// Suspends the calling task until something changed since `ticket` was filled (returns at once if it
    /// already did), or until ``unpark(_:)`` is called with the id `register` received. Never blocks a
    /// thread: the task is resumed by whoever releases bytes, installs metadata or shuts down.
    func park(_ ticket: WaitTicket, register: (UInt64) -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let id: UInt64? = monitor.withLock {
                guard changes == ticket.changes, !closed else { return nil }
                nextParkID &+= 1
                parked[nextParkID] = continuation
                parkedOrder.append(nextParkID)
                return nextParkID
            }
            guard let id else { return continuation.resume() }
            register(id)
        }
    }

    /// Resumes a parked sender (its `max.block.ms` passed, or its task was cancelled); nothing if it was
    /// already resumed.
    func unpark(_ id: UInt64) {
        let continuation: CheckedContinuation<Void, Never>? = monitor.withLock { parked.removeValue(forKey: id) }
        continuation?.resume()
    }

    /// Async senders parked now.
    var parkedCount: Int { monitor.withLock { parked.count } }

    // MARK: - Under the lock

    /// Something changed that may let waiters go on: wakes blocked threads and resumes parked tasks.
    /// Parked tasks are resumed in arrival order, and only as many as the free buffer may take (each then
    /// tries again; one that still cannot go parks again, at the back), or all of them on shutdown.
    private func changed() {
        changes &+= 1
        monitor.broadcast()
        guard !parked.isEmpty || !parkedOrder.isEmpty else { return }
        var free = bufferMemory - bufferedBytes
        var resumed: [CheckedContinuation<Void, Never>] = []
        while let id = parkedOrder.first {
            guard let continuation = parked[id] else {
                parkedOrder.removeFirst()  // already resumed by unpark
                continue
            }
            if !closed && free <= 0 && !resumed.isEmpty { break }
            parkedOrder.removeFirst()
            parked[id] = nil
            resumed.append(continuation)
            free -= Self.parkedShare
        }
        // Resumed outside the lock's critical work: they only enqueue a job for their task.
        for continuation in resumed { continuation.resume() }
    }

    /// The room assumed per resumed sender when deciding how many to resume.
    static let parkedShare = 1024

    private func pthreadLock() { monitor.lock() }
    private func pthreadUnlock() { monitor.unlock() }

    private func stickyPartition(of handle: TopicHandle) -> Int32 {
        if let sticky = handle.stickyPartition { return sticky }
        let choices = handle.availablePartitions
        let chosen: Int32
        if choices.isEmpty {
            chosen = Int32.random(in: 0..<handle.partitionCount, using: &random)
        } else {
            chosen = choices[Int.random(in: 0..<choices.count, using: &random)]
        }
        handle.stickyPartition = chosen
        return chosen
    }

    private func close(_ handle: TopicHandle, _ partition: Int32) -> ClosedBatch {
        let slot = Int(partition)
        let open = handle.slots[slot].open!
        handle.slots[slot].open = nil
        let index = handle.slots[slot].nextIndex
        handle.slots[slot].nextIndex += 1
        openBatchCount -= 1
        return ClosedBatch(
            info: BatchInfo(
                topicPartition: TopicPartition(topic: handle.name, partition: partition), index: index,
                tokens: open.tokens, createdAt: open.createdAt, reservedBytes: open.reservedBytes),
            builder: open.builder)
    }
}
