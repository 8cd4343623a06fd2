#if canImport(Glibc)
import Glibc
#endif

/// A plain thread that runs one closure; ``join()`` waits for it.
final class BackgroundThread: @unchecked Sendable {
    private var thread = pthread_t()
    private var started = false

    /// Starts `body` on a new thread; throws the `pthread_create` status on failure.
    init(_ body: @escaping @Sendable () -> Void) throws(AgentError) {
        let box = Unmanaged.passRetained(Box(body))
        let status = pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<Box>.fromOpaque(context).takeRetainedValue().body()
            return nil
        }, box.toOpaque())
        guard status == 0 else {
            box.release()
            throw AgentError(.startup, "cannot create a thread (pthread_create: \(status))")
        }
        started = true
    }

    /// Waits for the thread to end (once).
    func join() {
        guard started else { return }
        started = false
        pthread_join(thread, nil)
    }

    private final class Box {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}
