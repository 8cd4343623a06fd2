import Foundation

/// Drops the file-system credentials of the calling thread only (Linux `setfsuid`/`setfsgid`), which the
/// kernel checks for every file access. When the thread was root, dropping them also clears its
/// file-related capabilities (`CAP_DAC_OVERRIDE` ...), so the thread gets real `EACCES`.
/// Glibc's Swift module does not import these calls, so they are looked up with `dlsym`.
enum ThreadCredentials {
    private typealias SetID = @convention(c) (UInt32) -> Int32

    /// The user the tests drop to (`nobody`).
    static let nobody: UInt32 = 65534

    /// Whether the process runs as root (only then is a drop needed to see permission errors).
    static var isRoot: Bool { geteuid() == 0 }

    /// Sets the calling thread's file-system gid then uid; returns whether the uid took effect.
    @discardableResult
    static func dropToNobody() -> Bool {
        guard let setUID = function("setfsuid"), let setGID = function("setfsgid") else { return false }
        _ = setGID(nobody)
        _ = setUID(nobody)
        return setUID(UInt32.max) == Int32(bitPattern: nobody)
    }

    private static func function(_ name: String) -> SetID? {
        guard let symbol = dlsym(nil, name) else { return nil }
        return unsafeBitCast(symbol, to: SetID.self)
    }

    /// Runs `body` on a new thread with dropped credentials and returns its result (nil if the drop failed).
    static func onDroppedThread<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        let result = LockedBox<T?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            defer { done.signal() }
            guard dropToNobody() else { return }
            result.set(body())
        }
        thread.start()
        done.wait()
        return result.get()
    }
}

/// A tiny lock-protected value.
final class LockedBox<T: Sendable>: @unchecked Sendable {
    private var value: T
    private let lock = NSLock()
    init(_ value: T) { self.value = value }
    func get() -> T { lock.withLock { value } }
    func set(_ newValue: T) { lock.withLock { value = newValue } }
}
