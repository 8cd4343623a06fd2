import FileTailing
import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The durable checkpoint: loads it at start, and commits snapshots of every tracked file crash-safely.
///
/// Two copies ("slots") `checkpoint.0` and `checkpoint.1` hold the two newest generations. A commit
/// encodes the snapshot, writes it to `checkpoint.tmp`, fsyncs it, renames it over the slot that does *not*
/// hold the newest durable generation, and fsyncs the directory. A crash or power loss at any point
/// leaves each slot either its complete old content or the complete new one, and the newest durable
/// generation is never written over; a torn or corrupt copy is detected by its checksums and the other
/// generation is used (see ``load()``). A failed write is reported, counted and can simply be retried:
/// the previous checkpoint stays intact.
///
/// Threading: not thread-safe. Use one store from one task or actor (the agent's checkpoint task);
/// a write blocks that task for the duration of two fsyncs.
public final class CheckpointStore {
    /// The file names of the two slots.
    public static let slotNames = ["checkpoint.0", "checkpoint.1"]
    /// The temporary file a commit writes before renaming it into place.
    public static let temporaryName = "checkpoint.tmp"
    /// The suffix a damaged slot is renamed to (kept for inspection, replaced by the next damaged one).
    public static let damagedSuffix = ".damaged"
    /// Size of one `write(2)` call.
    static let writeChunk = 1 << 20

    /// The state directory.
    public let directory: String
    /// The options it was opened with.
    public let configuration: CheckpointConfiguration
    /// Commits, failures, bytes lost, last write time.
    public private(set) var counters = CheckpointCounters()
    /// The newest generation known durable (loaded, or committed by this store); 0 before any.
    public private(set) var durableGeneration: UInt64 = 0

    private var durableSlot: Int?
    private var lastPayload: [UInt8]?
    private let fileSystem: any CheckpointFileSystem
    private var lock: StateDirectoryLock?
    private let logger: Logger
    private var isClosed = false
    private var isLoaded = false

    /// A store over `configuration.directory`. The caller must hold the directory's lock (pass it to have
    /// the store release it on ``close()``), or use ``open(configuration:logger:)`` which does both.
    /// Call ``load()`` once before the first commit.
    public init(
        configuration: CheckpointConfiguration, lock: StateDirectoryLock?, logger: Logger,
        fileSystem: any CheckpointFileSystem = PosixCheckpointFileSystem()
    ) {
        self.directory = configuration.directory
        self.configuration = configuration
        self.lock = lock
        self.logger = logger
        self.fileSystem = fileSystem
    }

    /// Creates the state directory (0700), takes its lock, and loads the checkpoint.
    public static func open(
        configuration: CheckpointConfiguration, logger: Logger
    ) throws(CheckpointError) -> (store: CheckpointStore, loaded: CheckpointLoadResult) {
        let lock = try StateDirectoryLock.acquire(directory: configuration.directory, logger: logger)
        let store = CheckpointStore(configuration: configuration, lock: lock, logger: logger)
        return (store, try store.load())
    }

    /// Reads the checkpoint without the lock and without changing anything (for `ferry status`, while an
    /// agent may be running). A missing directory reads as ``CheckpointLoadResult/Outcome/fresh``.
    public static func loadReadOnly(
        directory: String, fileSystem: any CheckpointFileSystem = PosixCheckpointFileSystem()
    ) -> CheckpointLoadResult {
        let slots = readSlots(directory: directory, fileSystem: fileSystem)
        let problems = slots.compactMap(\.problem)
        if let best = newestValid(slots) {
            let snapshot = slots[best].snapshot
            let generation = snapshot?.generation ?? 0
            return CheckpointLoadResult(
                outcome: problems.isEmpty ? .current(generation: generation) : .recovered(generation: generation),
                snapshot: snapshot, problems: problems
            )
        }
        return CheckpointLoadResult(outcome: problems.isEmpty ? .fresh : .unusable(policy: .beginning), snapshot: nil, problems: problems)
    }

    /// Loads the checkpoint for writing: removes a leftover temporary file, picks the newest valid
    /// generation, renames damaged copies aside (`*.damaged`) and logs them loudly.
    ///
    /// With no usable copy the configured ``CheckpointConfiguration/onCorruptCheckpoint`` policy is
    /// returned, never an error, so a corrupt checkpoint cannot cause a crash loop. The one exception:
    /// a copy written by a newer format version with no usable copy beside it throws
    /// ``CheckpointError/Code/unsupportedVersion`` rather than overwrite a newer agent's state.
    public func load() throws(CheckpointError) -> CheckpointLoadResult {
        let temporary = path(Self.temporaryName)
        do throws(FileIOFailure) {
            try fileSystem.remove(atPath: temporary)
        } catch {
            logger.warning("cannot remove the temporary checkpoint file", metadata: ["file.path": "\(temporary)", "error": "\(error)"])
        }
        let slots = Self.readSlots(directory: directory, fileSystem: fileSystem)
        let problems = slots.compactMap(\.problem)
        let best = Self.newestValid(slots)
        isLoaded = best != nil || !problems.contains { $0.code == .unsupportedVersion }
        for (index, slot) in slots.enumerated() {
            guard let problem = slot.problem else { continue }
            logger.error(
                "checkpoint copy is damaged or unreadable",
                metadata: [
                    "file.path": "\(path(Self.slotNames[index]))", "error.code": "\(problem.code.rawValue)",
                    "error": "\(problem)",
                ]
            )
            if problem.code == .unsupportedVersion, best == nil {
                throw problem
            }
            let source = path(Self.slotNames[index])
            do throws(FileIOFailure) {
                try fileSystem.rename(source, to: source + Self.damagedSuffix)
            } catch {
                logger.warning("cannot rename the damaged checkpoint copy aside", metadata: ["file.path": "\(source)", "error": "\(error)"])
            }
        }
        guard let best, let snapshot = slots[best].snapshot else {
            durableGeneration = 0
            durableSlot = nil
            lastPayload = nil
            if problems.isEmpty {
                logger.info("no checkpoint yet: first start", metadata: ["file.path": "\(directory)"])
                return CheckpointLoadResult(outcome: .fresh, snapshot: nil, problems: [])
            }
            let policy = configuration.onCorruptCheckpoint
            logger.critical(
                "no usable checkpoint: applying on_corrupt_checkpoint",
                metadata: ["file.path": "\(directory)", "policy": "\(policy.rawValue)", "copies.damaged": "\(problems.count)"]
            )
            return CheckpointLoadResult(outcome: .unusable(policy: policy), snapshot: nil, problems: problems)
        }
        durableGeneration = snapshot.generation
        durableSlot = best
        lastPayload = slots[best].payload
        if problems.isEmpty {
            logger.info(
                "checkpoint loaded",
                metadata: ["checkpoint.generation": "\(snapshot.generation)", "checkpoint.entries": "\(snapshot.entries.count)"]
            )
            return CheckpointLoadResult(outcome: .current(generation: snapshot.generation), snapshot: snapshot, problems: [])
        }
        logger.error(
            "checkpoint recovered from the other copy",
            metadata: ["checkpoint.generation": "\(snapshot.generation)", "checkpoint.entries": "\(snapshot.entries.count)"]
        )
        return CheckpointLoadResult(outcome: .recovered(generation: snapshot.generation), snapshot: snapshot, problems: problems)
    }

    /// Commits `entries` (every tracked file) as the next generation, durably, unless they are identical
    /// to the last durable checkpoint (then nothing is written: ``CommitOutcome/unchanged``).
    ///
    /// On failure (`ENOSPC`, `EIO`, `EROFS` ...) the error is logged, counted and thrown; the previous
    /// checkpoint is intact, and calling again retries the same generation.
    @discardableResult
    public func commit(_ entries: [CheckpointEntry], at now: WallClockTime = .now()) throws(CheckpointError) -> CommitOutcome {
        guard !isClosed else {
            throw CheckpointError(code: .closed, message: "the checkpoint store is closed", path: directory, operation: "commit")
        }
        guard isLoaded else {
            // Without a load the store does not know which slot holds the newest generation, and could
            // overwrite it.
            throw CheckpointError(code: .notLoaded, message: "load() must be called before commit()", path: directory, operation: "commit")
        }
        let started = ContinuousClock.now
        let payload = CheckpointFormat.encodePayload(entries)
        if let lastPayload, Self.same(lastPayload, payload) {
            counters.commitsUnchanged += 1
            return .unchanged
        }
        let generation = durableGeneration + 1
        let slot = durableSlot.map { 1 - $0 } ?? Int(generation % 2)
        let header = CheckpointFormat.encodeHeader(
            generation: generation, writtenAt: now, entryCount: entries.count, payload: payload
        )
        do throws(CheckpointError) {
            try writeDurably(header: header, payload: payload, to: path(Self.slotNames[slot]))
        } catch {
            counters.writeFailures += 1
            counters.consecutiveWriteFailures += 1
            logger.error(
                "checkpoint write failed; the previous checkpoint is intact and the write will be retried",
                metadata: [
                    "file.path": "\(error.path ?? directory)", "error.code": "\(error.code.rawValue)",
                    "operation": "\(error.operation ?? "")", "errno": "\(error.errno ?? 0)",
                    "checkpoint.generation": "\(generation)",
                    "failures.consecutive": "\(counters.consecutiveWriteFailures)",
                ]
            )
            throw error
        }
        if counters.consecutiveWriteFailures > 0 {
            logger.notice(
                "checkpoint writes recovered",
                metadata: ["checkpoint.generation": "\(generation)", "failures.consecutive": "\(counters.consecutiveWriteFailures)"]
            )
        }
        durableGeneration = generation
        durableSlot = slot
        lastPayload = payload
        counters.commitsWritten += 1
        counters.consecutiveWriteFailures = 0
        counters.lastSuccessfulWrite = now
        counters.lastWriteBytes = header.count + payload.count
        counters.lastWriteDuration = ContinuousClock.now - started
        return .written(generation: generation, bytes: header.count + payload.count)
    }

    /// Adds `bytes` lost for `reason` to the counters (the agent reports what ``ResumePlanner`` and its
    /// own rotation handling found).
    public func recordLoss(_ bytes: Int64, reason: LossReason) {
        guard bytes > 0 else { return }
        counters.bytesLost[reason, default: 0] += UInt64(bytes)
    }

    /// Stops accepting commits and releases the directory lock (idempotent).
    public func close() {
        isClosed = true
        lock?.release()
        lock = nil
    }

    private func path(_ name: String) -> String { directory + "/" + name }

    private func writeDurably(header: [UInt8], payload: [UInt8], to destination: String) throws(CheckpointError) {
        let temporary = path(Self.temporaryName)
        let descriptor: Int32
        do throws(FileIOFailure) {
            descriptor = try fileSystem.createFile(atPath: temporary)
        } catch {
            throw CheckpointError.writing(error, path: temporary)
        }
        do throws(FileIOFailure) {
            try writeAll(descriptor, header)
            try writeAll(descriptor, payload)
            try fileSystem.synchronize(descriptor)
        } catch {
            try? fileSystem.close(descriptor)
            try? fileSystem.remove(atPath: temporary)
            throw CheckpointError.writing(error, path: temporary)
        }
        do throws(FileIOFailure) {
            try fileSystem.close(descriptor)
            try fileSystem.rename(temporary, to: destination)
        } catch {
            try? fileSystem.remove(atPath: temporary)
            throw CheckpointError.writing(error, path: error.operation == "rename" ? destination : temporary)
        }
        do throws(FileIOFailure) {
            let directoryDescriptor = try fileSystem.openDirectory(atPath: directory)
            do throws(FileIOFailure) {
                try fileSystem.synchronize(directoryDescriptor)
            } catch {
                try? fileSystem.close(directoryDescriptor)
                throw error
            }
            try fileSystem.close(directoryDescriptor)
        } catch {
            throw CheckpointError.writing(error, path: directory)
        }
    }

    private func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) throws(FileIOFailure) {
        var written = 0
        while written < bytes.count {
            let end = min(bytes.count, written + Self.writeChunk)
            let count = try bytes.withUnsafeBytes { raw in
                Result { () throws(FileIOFailure) in
                    try fileSystem.write(descriptor, UnsafeRawBufferPointer(rebasing: raw[written..<end]))
                }
            }.get()
            guard count > 0 else { throw FileIOFailure(errno: EIO, operation: "write (no progress)") }
            written += count
        }
    }

    private static func same(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.withUnsafeBytes { left in
            rhs.withUnsafeBytes { right in
                left.count == 0 || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0
            }
        }
    }
}

/// What ``CheckpointStore/commit(_:at:)`` did.
public enum CommitOutcome: Hashable, Sendable {
    /// A new generation was written durably.
    case written(generation: UInt64, bytes: Int)
    /// The entries equal the last durable checkpoint: nothing was written.
    case unchanged
}
