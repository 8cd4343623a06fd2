import Checkpointing
import FileTailing
import KafkaProducer
import KafkaWire
import Logging
import Synchronization

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
    let stopping = Atomic<Bool>(false)

    // Tailer-thread state.
    var reading: [TailedFileID: ReadingState] = [:]
    var scratch: [UInt8] = []

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
        let limit = configuration.maxBufferedBytes
        let chunk = configuration.tailing.readChunkBytes
        // A chunk in progress is always appended whole: pause early enough that it never blocks.
        pauseAbove = max(limit - 4 * chunk, limit / 2)
        resumeBelow = pauseAbove / 2
    }

    // MARK: - Tailer output (tailer thread)

    /// The tailer's output callback.
    func handle(_ output: TailOutput) {
        switch output {
        case .lines(let chunk): handle(chunk)
        case .event(let event): handle(event)
        }
        if producer.bufferedBytes > pauseAbove, let tailer, !tailer.isPaused {
            tailer.pause()
            // Nothing more is read for a while: the batches being filled need not wait for linger.ms.
            producer.sendOpenBatches()
            counters.pauses.wrappingIncrement(ordering: .relaxed)
            logger.debug("Kafka is behind; reading paused", metadata: ["buffered.bytes": "\(producer.bufferedBytes)"])
        }
    }

    /// Called after deliveries: resumes reading once the backlog drained.
    func maybeResume() {
        if let tailer, tailer.isPaused, producer.bufferedBytes < resumeBelow, !stopping.load(ordering: .relaxed) {
            tailer.resume()
        }
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
