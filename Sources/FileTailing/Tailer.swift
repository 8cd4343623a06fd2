#if canImport(Glibc)
import Glibc
#endif
import Logging
import Synchronization

/// Follows the files of its inputs and delivers their lines, with lifecycle events, to one output callback.
///
/// Threading: ``start()`` runs discovery and reading on one thread of the tailer's own. The output callback,
/// and the start-offset hook, are called on that thread, one call at a time; they should return quickly
/// (copy the lines, hand them on). Guarantees to the callback: for each file, chunks and events arrive in
/// file order; each line's `offset` is the previous line's `endOffset` (from the start offset, and from 0
/// after a `truncated` event); the `opened` event comes before the file's first lines and `released` after
/// its last. ``pause()``, ``resume()``, ``counters`` and ``stop()`` may be called from any thread,
/// including from the callback (except ``stop()``, which waits for the thread).
public final class Tailer: Sendable {
    /// Decides where a newly discovered file starts (for the agent: from its checkpoint store).
    public typealias StartOffsetHook = @Sendable (DiscoveredFile) -> StartDecision
    /// Receives lines and events on the tailer's thread.
    public typealias OutputHandler = @Sendable (TailOutput) -> Void
    /// Receives lines and events on the tailer's thread, and says what it took of a chunk (events are
    /// always taken).
    public typealias Consumer = @Sendable (TailOutput) -> TailVerdict

    /// The validated configuration.
    let configuration: TailerConfiguration
    /// The logger given by the caller (never created here).
    let logger: Logger
    /// Decides where newly discovered files start.
    let startOffsetHook: StartOffsetHook
    /// Receives lines and events.
    let output: Consumer
    /// Flags, counters and wake-up pipe shared with the thread.
    let control: TailerControl
    /// Runs first on the tailer's thread (tests use it to drop file-system privileges of that thread).
    let threadSetUp: (@Sendable () -> Void)?
    /// Tests: the number of directory watches after which `inotify_add_watch` is treated as failing with
    /// `ENOSPC`, to exercise the polling fallback without exhausting the machine-wide limit.
    let simulatedWatchLimit: Int?
    private let lifecycle = Mutex<Lifecycle>(.created)

    private enum Lifecycle {
        case created
        case running(pthread_t)
        case stopped
    }

    /// Makes a tailer. Throws the first configuration problem (``TailerConfiguration/validate()`` lists
    /// them all). `startOffset` is asked for every file seen for the first time; `output` receives
    /// everything.
    public convenience init(
        configuration: TailerConfiguration,
        logger: Logger,
        startOffset: @escaping StartOffsetHook = { _ in .useStartAtRule },
        output: @escaping OutputHandler
    ) throws(TailingError) {
        try self.init(
            configuration: configuration, logger: logger, startOffset: startOffset,
            consumer: { output($0); return .accepted }, threadSetUp: nil, simulatedWatchLimit: nil)
    }

    /// Makes a tailer whose consumer may take only part of a chunk (``TailVerdict/deferred(fromLine:retryAfterMs:)``):
    /// the rest of that file is read again later, while the other files go on.
    public convenience init(
        configuration: TailerConfiguration,
        logger: Logger,
        startOffset: @escaping StartOffsetHook = { _ in .useStartAtRule },
        consumer: @escaping Consumer
    ) throws(TailingError) {
        try self.init(
            configuration: configuration, logger: logger, startOffset: startOffset, consumer: consumer,
            threadSetUp: nil, simulatedWatchLimit: nil)
    }

    /// The designated initializer, with the test hooks (`threadSetUp`, `simulatedWatchLimit`).
    init(
        configuration: TailerConfiguration, logger: Logger, startOffset: @escaping StartOffsetHook,
        consumer: @escaping Consumer, threadSetUp: (@Sendable () -> Void)?, simulatedWatchLimit: Int?
    ) throws(TailingError) {
        if let problem = configuration.validate().first { throw problem }
        self.configuration = configuration
        self.logger = logger
        self.startOffsetHook = startOffset
        self.output = consumer
        self.threadSetUp = threadSetUp
        self.simulatedWatchLimit = simulatedWatchLimit
        self.control = try TailerControl()
    }

    deinit {
        stop()
    }

    /// Starts the tailer's thread: the initial scan, then following. Throws if already started or stopped,
    /// or if the thread cannot be created.
    public func start() throws(TailingError) {
        let loop = try TailerLoop(tailer: self)
        let result: Result<Void, TailingError> = lifecycle.withLock { state in
            guard case .created = state else {
                return .failure(TailingError(.invalidState, "the tailer was already started"))
            }
            let box = Unmanaged.passRetained(LoopBox(loop))
            var thread = pthread_t()
            let status = pthread_create(&thread, nil, { context in
                guard let context else { return nil }
                let box = Unmanaged<LoopBox>.fromOpaque(context).takeRetainedValue()
                box.loop.run()
                return nil
            }, box.toOpaque())
            guard status == 0 else {
                box.release()
                return .failure(TailingError(.systemCall, "cannot create the tailer thread", errno: status))
            }
            state = .running(thread)
            return .success(())
        }
        try result.get()
    }

    /// Stops reading and waits for the tailer's thread to end. Descriptors are closed; no further output.
    /// Idempotent. Must not be called from the output callback.
    public func stop() {
        let thread: pthread_t? = lifecycle.withLock { state in
            defer { state = .stopped }
            if case .running(let thread) = state { return thread }
            return nil
        }
        guard let thread else { return }
        control.stopping.store(true, ordering: .releasing)
        control.wake()
        pthread_join(thread, nil)
    }

    /// Stops reading files until ``resume()``: memory stays flat and nothing is lost (files are the
    /// buffer). While paused the tailer thread sleeps; file-system events queue in the kernel (an overflow
    /// is answered by a full rescan on resume).
    public func pause() {
        if !control.paused.exchange(true, ordering: .acquiringAndReleasing) { control.wake() }
    }

    /// Resumes reading after ``pause()``.
    public func resume() {
        if control.paused.exchange(false, ordering: .acquiringAndReleasing) { control.wake() }
    }

    /// Whether reading is paused.
    public var isPaused: Bool { control.paused.load(ordering: .acquiring) }

    /// Stops reading the files of input number `input` (its index in the configuration) until
    /// ``resume(input:)``; the other inputs go on. Idempotent.
    public func pause(input: Int) {
        if control.pausedInputs.withLock({ $0.insert(input).inserted }) {
            control.inputPauses.wrappingAdd(1, ordering: .releasing)
            control.wake()
        }
    }

    /// Resumes reading the files of input number `input`.
    public func resume(input: Int) {
        if control.pausedInputs.withLock({ $0.remove(input) != nil }) {
            control.inputPauses.wrappingAdd(1, ordering: .releasing)
            control.wake()
        }
    }

    /// Whether input number `input` is paused.
    public func isPaused(input: Int) -> Bool { control.pausedInputs.withLock { $0.contains(input) } }

    /// A snapshot of the counters (updated by the tailer's thread after each turn of its loop).
    public var counters: TailerCounters {
        control.counters.withLock { $0 }
    }
}

/// Moves the loop onto its thread.
private final class LoopBox: @unchecked Sendable {
    /// The loop to run.
    let loop: TailerLoop
    /// Boxes `loop`.
    init(_ loop: TailerLoop) { self.loop = loop }
}

/// State shared between the tailer's thread and its callers: flags, counters, and a pipe that wakes the
/// thread from `poll`.
final class TailerControl: Sendable {
    /// Whether the consumer paused reading.
    let paused = Atomic<Bool>(false)
    /// Whether `stop()` was called.
    let stopping = Atomic<Bool>(false)
    /// Inputs paused with ``Tailer/pause(input:)``.
    let pausedInputs = Mutex<Set<Int>>([])
    /// Bumped whenever an input is paused or resumed (the thread then reads the set again).
    let inputPauses = Atomic<UInt64>(0)
    /// The latest counters published by the thread.
    let counters = Mutex(TailerCounters())
    /// Read end of the wake-up pipe (polled by the thread).
    let wakeReader: Int32
    /// Write end of the wake-up pipe.
    let wakeWriter: Int32

    /// Makes the wake-up pipe (non-blocking, close-on-exec).
    init() throws(TailingError) {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else {
            throw TailingError(.systemCall, "cannot create the wake-up pipe", errno: errno)
        }
        for end in pipeEnds {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        wakeReader = pipeEnds[0]
        wakeWriter = pipeEnds[1]
    }

    deinit {
        close(wakeReader)
        close(wakeWriter)
    }

    /// Wakes the tailer's thread (a full pipe already guarantees a wake-up).
    func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWriter, &byte, 1)
    }

    /// Empties the pipe.
    func drainWakeups() {
        var bytes = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &bytes, { read(wakeReader, $0.baseAddress, $0.count) }) > 0 {}
    }
}
