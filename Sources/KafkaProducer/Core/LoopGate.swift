import NIOCore

/// The way onto the producer's event loop from other threads (callers of `send`, `flush`, the accumulator).
/// Once `close` has stopped it, it refuses: a task handed to a stopped event loop is dropped (NIO prints
/// "Cannot schedule tasks on an EventLoop that has already shut down", and will crash on it), so a caller
/// awaiting it would wait forever.
final class LoopGate: Sendable {
    /// The producer's event loop.
    let loop: EventLoop
    private let stopped = Locked(false)

    init(_ loop: EventLoop) {
        self.loop = loop
    }

    /// Calls `body` with the loop unless ``stop()`` was called, and returns its result (`nil` when refused).
    /// What `body` hands the loop is queued before anything that the caller of ``stop()`` queues afterwards.
    func withLoop<T>(_ body: (EventLoop) -> T) -> T? {
        stopped.withLock { stopped in stopped ? nil : body(loop) }
    }

    /// Runs `task` on the loop; `false` (and `task` never runs) once ``stop()`` was called.
    @discardableResult
    func execute(_ task: @escaping @Sendable () -> Void) -> Bool {
        withLoop { $0.execute(task) } != nil
    }

    /// Refuses every later task; tasks accepted before are already queued on the loop.
    func stop() {
        stopped.withLock { $0 = true }
    }
}
