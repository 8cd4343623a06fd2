import Foundation

/// A task executor with exactly `threads` threads, standing in for a small cooperative pool: a task that
/// blocked one of them (a lock, a condition wait) would visibly starve the others.
public final class FixedThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var stopping = false
    private var threads: [Thread] = []

    /// Starts `count` threads.
    public init(threads count: Int) {
        for index in 0..<count {
            let thread = Thread { [self] in run() }
            thread.name = "fixed-executor-\(index)"
            threads.append(thread)
            thread.start()
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Lets the threads finish once the queue is empty.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty {
                condition.unlock()
                return
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
