import Foundation

/// Runs programs for tests: waits with a deadline, collects output, and kills only what it started.
public enum Subprocess {
    /// What a finished program left behind.
    public struct Result: Sendable {
        /// The exit status (or 128 + signal).
        public var status: Int32
        /// Everything written to stdout.
        public var stdout: String
        /// Everything written to stderr.
        public var stderr: String
        /// The program's peak resident memory in KiB (its `VmHWM`, sampled while it ran; 0 if never read).
        public var peakResidentKiB: Int = 0
    }

    /// A failure to run a program.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `executable` with `arguments`, feeding `stdin`, and waits at most `timeout` seconds (then kills it
    /// by PID and throws).
    @discardableResult
    public static func run(
        _ executable: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil,
        timeout: TimeInterval = 300
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
        let outPipe = Pipe()
        let errPipe = Pipe()
        let inPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        process.standardInput = inPipe
        try process.run()
        // Drain both pipes concurrently so a chatty child never blocks on a full pipe.
        let group = DispatchGroup()
        let collected = OutputBox()
        group.enter()
        DispatchQueue.global().async {
            collected.setOut(outPipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            collected.setErr(errPipe.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        if let stdin { inPipe.fileHandleForWriting.write(stdin) }
        try? inPipe.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(timeout)
        var peak = 0
        while process.isRunning && Date() < deadline {
            if let kib = PeakMemory.highWaterKiB(pid: process.processIdentifier) { peak = max(peak, kib) }
            usleep(10_000)
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            group.wait()
            throw Failure(
                description: "\(executable) \(arguments.joined(separator: " ")) did not finish in \(timeout) s; "
                    + "stderr: \(String(decoding: collected.err, as: UTF8.self).suffix(2000))")
        }
        process.waitUntilExit()
        group.wait()
        let status = process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
        return Result(
            status: status, stdout: String(decoding: collected.out, as: UTF8.self),
            stderr: String(decoding: collected.err, as: UTF8.self), peakResidentKiB: peak)
    }

    /// Runs a Python script of `scripts/` with the project's virtualenv.
    @discardableResult
    public static func python(_ script: String, _ arguments: [String], stdin: Data? = nil, timeout: TimeInterval = 300) throws -> Result {
        try run(PackageLocation.python, [PackageLocation.script(script)] + arguments, stdin: stdin, timeout: timeout)
    }
}

private final class OutputBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outData = Data()
    private var errData = Data()
    func setOut(_ data: Data) { lock.withLock { outData = data } }
    func setErr(_ data: Data) { lock.withLock { errData = data } }
    var out: Data { lock.withLock { outData } }
    var err: Data { lock.withLock { errData } }
}
