import Synchronization

/// A value behind a `Synchronization.Mutex`, shareable by reference: what closures and other objects hold
/// when they need the same protected state (a `Mutex` itself cannot be copied or captured). The package's one
/// lock family with `Atomic`; `Monitor` adds the one thing `Synchronization` lacks, a condition to wait on.
final class Locked<Value: ~Copyable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with the value, holding the lock.
    func withLock<Result: ~Copyable, E: Error>(_ body: (inout sending Value) throws(E) -> sending Result) throws(E) -> sending Result {
        try mutex.withLock(body)
    }
}
