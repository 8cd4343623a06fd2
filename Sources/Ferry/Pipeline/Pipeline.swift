import Checkpointing
import FileTailing
import KafkaProducer
import KafkaWire
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Turns the tailer's lines into Kafka records, and Kafka's acknowledgements into checkpoint progress:
///
///     tailer thread:  chunk -> ledger segment -> records -> producer.append(token = segment)
///     producer loop:  delivery report -> tokens -> segment acknowledged -> ledger frontier moves
///     checkpoint thread: ledger frontiers -> CheckpointEntry list -> store
///
/// The ledger, the token table and the checkpoint view are shared (one mutex, never held while appending
/// to the producer, which may block). Everything else (per-file reading state, scratch buffers) belongs to
/// the tailer's thread.
final class Pipeline: @unchecked Sendable {
    /// State shared by the three threads.
    struct Shared {
        var ledger = AckLedger<TailedFileID>()
        var tracker = SegmentTracker()
        /// What the checkpoint needs to know of each tracked file.
        var files: [TailedFileID: FileRecord] = [:]
        /// Entries carried over from the loaded checkpoint for files not (or no longer) being read:
        /// vanished files kept until `forget_after_hours`, resumed files the tailer has not opened yet.
        var carried: [FileIdentityKey: CheckpointEntry] = [:]
        /// Whether anything the checkpoint shows changed since the last snapshot.
        var changed = false
    }

    /// A tracked file, for checkpoints and status.
    struct FileRecord {
        var path: String
        var identity: FileIdentity
        var input: String
        var knownSize: Int64
        var releasedAt: WallClockTime?
    }

    let inputs: [String: (index: Int, configuration: InputConfiguration)]
    let hostName: String
    let producer: KafkaProducer
    let logger: Logger
    let counters: PipelineCounters
    let shared: Mutex<Shared>
    /// Called when something the checkpoint shows changed (wakes the checkpoint writer).
    let onChange: @Sendable () -> Void
    /// The tailer, for pause/resume (set once, before it starts).
    nonisolated(unsafe) var tailer: Tailer?
    private let pauseAbove: Int
    private let resumeBelow: Int
    /// The most one topic's records may hold of the buffer (see ``AgentConfiguration/bufferBudget``).
    let topicBudget: Int
    /// The inputs of each topic (by input number), when there are several topics.
    let inputsByTopic: [String: [Int]]
    /// Topics whose inputs are paused because they hold their whole share of the buffer.
    let pausedTopics = Mutex<Set<String>>([])
    let stopping = Atomic<Bool>(false)

    // Tailer-thread state.
    var reading: [TailedFileID: ReadingState] = [:]
    var scratch: [UInt8] = []
    /// Per input: refusals in a row (for the retry delay), since when, and when the last one was logged.
    var refusals: [Int: (count: Int, since: UInt64, loggedAt: UInt64)] = [:]
    /// Files released with a record still being gathered that the producer could not take yet: sent as soon
    /// as it can (tried at every call of the tailer).
    var releasedPending: [TailedFileID: (file: TailedFile, state: ReadingState)] = [:]

    init(
        configuration: AgentConfiguration, hostName: String, producer: KafkaProducer, carried: [CheckpointEntry],
        logger: Logger, counters: PipelineCounters, onChange: @escaping @Sendable () -> Void
    ) {
        inputs = Dictionary(uniqueKeysWithValues: configuration.inputs.enumerated().map { ($0.element.name, ($0.offset, $0.element)) })
        self.hostName = hostName
        self.producer = producer
        self.logger = logger
        self.counters = counters
        self.onChange = onChange
        var state = Shared()
        for entry in carried { state.carried[FileIdentityKey(entry.identity)] = entry }
        shared = Mutex(state)
        let budget = configuration.bufferBudget
        let limit = budget.total
        let chunk = configuration.tailing.readChunkBytes
        // Pause reading early enough that a chunk in progress usually fits (one that does not is deferred).
        pauseAbove = max(limit - 4 * chunk, limit / 2)
        resumeBelow = pauseAbove / 2
        topicBudget = budget.perTopic
        var byTopic: [String: [Int]] = [:]
        for (index, input) in configuration.inputs.enumerated() { byTopic[input.topic, default: []].append(index) }
        inputsByTopic = byTopic.count > 1 ? byTopic : [:]
        // Ask for every topic's metadata now (without waiting), so that the first lines find it known.
        for topic in byTopic.keys.sorted() { _ = try? producer.partitionCount(of: topic) }
    }

    // MARK: - Tailer output (tailer thread)

    /// The tailer's output callback: what it took of a chunk (events are always taken).
    func handle(_ output: TailOutput) -> TailVerdict {
        if !releasedPending.isEmpty { retryReleased() }
        let verdict: TailVerdict
        switch output {
        case .lines(let chunk): verdict = handle(chunk)
        case .event(let event):
            handle(event)
            verdict = .accepted
        }
        pauseIfFull()
        return verdict
    }

    /// Pauses all reading when the producer holds more than the pause threshold. Only with one topic: with
    /// several, each topic's share pauses its own inputs (``checkTopicBudget(_:)``), and a total counting a
    /// topic Kafka refuses (its records held for good) would never fall back and stall the others.
    private func pauseIfFull() {
        guard inputsByTopic.isEmpty else { return }
        if producer.bufferedBytes > pauseAbove, let tailer, !tailer.isPaused {
            tailer.pause()
            // Nothing more is read for a while: the batches being filled need not wait for linger.ms.
            producer.sendOpenBatches()
            counters.pauses.wrappingIncrement(ordering: .relaxed)
            logger.debug("Kafka is behind; reading paused", metadata: ["buffered.bytes": "\(producer.bufferedBytes)"])
        }
    }

    /// Called after deliveries: resumes reading once the backlog drained, and the inputs of a topic once it
    /// holds less than half its share.
    func maybeResume() {
        guard let tailer, !stopping.load(ordering: .relaxed) else { return }
        if inputsByTopic.isEmpty, tailer.isPaused, producer.bufferedBytes < resumeBelow {
            tailer.resume()
        }
        guard !inputsByTopic.isEmpty else { return }
        // Pauses and resumes of a topic's inputs happen under this lock, so that a resume cannot slip in
        // between a topic's insertion and its inputs' pause (which would leave them paused for good).
        pausedTopics.withLock { paused in
            let ready = paused.filter { producer.bufferedBytes(topic: $0) < topicBudget / 2 }
            paused.subtract(ready)
            for topic in ready {
                for input in inputsByTopic[topic] ?? [] { tailer.resume(input: input) }
            }
        }
    }

    // MARK: - Isolation (tailer thread)

    /// After a chunk of `topic`: when the topic holds its whole share of the buffer (Kafka takes its records
    /// slowly, or not at all), its inputs pause until it drains; the other topics keep the rest.
    func checkTopicBudget(_ topic: String) {
        guard !inputsByTopic.isEmpty, let tailer, producer.bufferedBytes(topic: topic) > topicBudget else { return }
        let paused = pausedTopics.withLock { paused in
            guard paused.insert(topic).inserted else { return false }
            for input in inputsByTopic[topic] ?? [] { tailer.pause(input: input) }
            return true
        }
        guard paused else { return }
        logger.debug("topic holds its share of the buffer; its inputs pause", metadata: ["kafka.topic": "\(topic)"])
        // Deliveries may have drained it meanwhile.
        maybeResume()
    }

    /// An input's chunk went through: its refusals are over.
    func inputAccepted(_ input: Int) {
        guard let previous = refusals.removeValue(forKey: input), previous.count > 0 else { return }
        if previous.loggedAt > 0 {
            let name = self.inputs.first { $0.value.index == input }?.key ?? "\(input)"
            logger.notice("input sends again", metadata: ["input": "\(name)"])
        }
    }

    /// The producer could not take an input's line now: the tailer offers it again after the returned delay
    /// (5 ms, doubling to 2 s while it lasts; a full buffer after 20 ms). Logged at most every 10 s per input.
    func inputRefused(_ input: Int, topic: String, error: ProducerError) -> Int {
        let now = MonotonicClock.nanoseconds()
        var state = refusals[input] ?? (0, now, 0)
        state.count += 1
        counters.deferrals.wrappingIncrement(ordering: .relaxed)
        // A topic's metadata takes a moment at start: only refusals lasting 2 s are worth an error.
        if error.code != .bufferExhausted, error.code != .closed, now - state.since >= 2_000_000_000,
            state.loggedAt == 0 || now - state.loggedAt >= 10_000_000_000
        {
            state.loggedAt = now
            let name = self.inputs.first { $0.value.index == input }?.key ?? "\(input)"
            logger.error(
                "Kafka cannot take this input's records now; its files wait, the other inputs go on",
                metadata: ["input": "\(name)", "kafka.topic": "\(topic)", "error": "\(error)"])
        }
        refusals[input] = state
        if error.code == .bufferExhausted { return 20 }
        // 5 ms first (at start a topic's metadata is usually a millisecond away), doubling to 2 s.
        return min(5 << min(state.count - 1, 9), 2000)
    }

    // MARK: - Released files (tailer thread)

    /// Sends the records of released files that the producer could not take when they were released.
    func retryReleased() {
        for (id, pending) in releasedPending {
            var state = pending.state
            let token = shared.withLock { $0.tracker.start(file: id) }
            var records = 0
            let end = state.partial?.endOffset ?? state.nextSegmentStart
            do {
                try flushPartial(state: &state, timestamp: wallClockMilliseconds(), token: token, records: &records)
                finishSegment(file: pending.file, token: token, range: state.nextSegmentStart..<end, marker: .none, records: records)
                releasedPending[id] = nil
            } catch {
                finishSegment(file: pending.file, token: token, range: state.nextSegmentStart..<state.nextSegmentStart, marker: .none, records: records)
                releasedPending[id] = (pending.file, state)
            }
        }
    }
}

/// Monotonic time.
enum MonotonicClock {
    static func nanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// Device and inode, the key under which carried checkpoint entries wait for their file.
struct FileIdentityKey: Hashable {
    var device: UInt64
    var inode: UInt64
    init(_ identity: FileIdentity) {
        device = identity.device
        inode = identity.inode
    }
    init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}
