import Dispatch
import KafkaWire
import NIOCore
import NIOPosix

/// Seals closed batches (encode header, compress) on a pool of threads, so that gzip uses every core.
/// Each thread borrows a compressor from a small stack, so codec contexts are reused, never shared.
/// Tests of the producer core on `EmbeddedEventLoop` (one thread) use ``inline(compression:level:)``, which
/// does the same work on the calling thread.
final class CompressionService: Sendable {
    /// The threads, or nil when the work runs on the caller's thread (``inline(compression:level:)``).
    private let pool: NIOThreadPool?
    private let compressors: Locked<[CompressorBox]>
    private let compression: RecordBatchCompression
    private let level: Int32?

    /// Starts `threads` threads (0 = one per core) compressing with `compression` at `level`.
    init(compression: RecordBatchCompression, level: Int32?, threads: Int) throws {
        self.compression = compression
        self.level = level
        // Fail now, not on the first batch, if the codec cannot be set up.
        compressors = Locked([CompressorBox(try BatchCompressor(compression, level: level))])
        let count = threads > 0 ? threads : System.coreCount
        let pool = NIOThreadPool(numberOfThreads: max(1, count))
        pool.start()
        self.pool = pool
    }

    private init(inlineWith compression: RecordBatchCompression, level: Int32?) throws {
        self.compression = compression
        self.level = level
        compressors = Locked([CompressorBox(try BatchCompressor(compression, level: level))])
        pool = nil
    }

    /// A service without threads: ``seal(_:recycle:done:)`` and ``split(_:done:)`` do their work and call
    /// `done` before they return, on the caller's thread.
    static func inline(compression: RecordBatchCompression, level: Int32?) throws -> CompressionService {
        try CompressionService(inlineWith: compression, level: level)
    }

    /// Runs `work` on a pool thread (`true`: the pool is active; `false`: it stopped and the work must
    /// only report that), or at once on this thread without a pool.
    private func perform(_ work: @escaping @Sendable (_ active: Bool) -> Void) {
        guard let pool else { return work(true) }
        pool.submit { state in
            if case .active = state { work(true) } else { work(false) }
        }
    }

    /// Seals `batch` on a pool thread and calls `done` there with the result; the emptied builder (its
    /// memory kept) goes to `recycle` for the next batch.
    func seal(
        _ batch: consuming ClosedBatch, recycle: @escaping @Sendable (RecordBatchBuilder) -> Void,
        done: @escaping @Sendable (BatchInfo, Result<SealedRecordBatch, Error>) -> Void
    ) {
        let info = batch.info
        // The box owns the only reference to the builder's memory, so sealing resets it in place.
        let box = BuilderBox(batch.builder)
        _ = consume batch
        perform { [self] active in
            guard active else {
                done(info, .failure(ProducerError(.closed, "the compression threads stopped")))
                return
            }
            let result = Result {
                let compressor = try borrow()
                defer { compressors.withLock { $0.append(compressor) } }
                var sealed = try box.builder.seal(with: compressor.compressor)
                // A batch may wait in buffer.memory (which counts its compressed size) until it is sent.
                sealed.shrink(slack: 16 << 10)
                return sealed
            }
            recycle(box.builder)
            done(info, result)
        }
    }

    /// Splits a sealed batch the broker found too large into two batches of half its records each, sealed
    /// again, on a pool thread (decoding and recompressing a batch of up to `max.request.size` must not hold
    /// the event loop); `done` gets them with the number of records in the first, there.
    func split(
        _ batch: SealedRecordBatch,
        done: @escaping @Sendable (Result<(first: SealedRecordBatch, second: SealedRecordBatch, middle: Int), Error>) -> Void
    ) {
        perform { [self] active in
            guard active else {
                done(.failure(ProducerError(.closed, "the compression threads stopped")))
                return
            }
            done(Result {
                let decoded = try RecordBatch.decodeAll(batch.buffer, verifyCRC: false)
                let records = decoded.flatMap { batch in batch.records.map { (batch.baseTimestamp, $0) } }
                guard records.count > 1 else { throw ProducerError(.recordTooLarge, "a batch of one record cannot be split") }
                let middle = records.count / 2
                let compressor = try borrow()
                defer { compressors.withLock { $0.append(compressor) } }
                var halves: [SealedRecordBatch] = []
                for range in [0..<middle, middle..<records.count] {
                    var builder = RecordBatchBuilder()
                    for (base, record) in records[range] {
                        builder.append(timestamp: base + record.timestampDelta, key: record.key, value: record.value, headers: record.headers)
                    }
                    halves.append(try builder.seal(with: compressor.compressor))
                }
                return (halves[0], halves[1], middle)
            })
        }
    }

    private func borrow() throws -> CompressorBox {
        if let ready = compressors.withLock({ $0.popLast() }) { return ready }
        return CompressorBox(try BatchCompressor(compression, level: level))
    }

    /// Stops the threads: a batch not started yet is handed to its `done` as failed (`closed`), a batch being
    /// sealed finishes. Returns once every batch ever submitted was handed to its `done`, so that the caller
    /// can then wait for those calls' effects (on its event loop) before shutting the loop down.
    func shutDown() async {
        // One serial queue: NIO hands the cancelled work to it first, and the completion after the threads
        // have ended.
        guard let pool else { return }
        let queue = DispatchQueue(label: "ferry.compression.shutdown")
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            pool.shutdownGracefully(queue: queue) { _ in continuation.resume() }
        }
    }
}

/// A builder handed to one pool thread.
private final class BuilderBox: @unchecked Sendable {
    var builder: RecordBatchBuilder
    init(_ builder: RecordBatchBuilder) { self.builder = builder }
}

/// A compressor moved between threads: only the thread that borrowed it uses it, until it gives it back.
private final class CompressorBox: @unchecked Sendable {
    let compressor: BatchCompressor
    init(_ compressor: BatchCompressor) { self.compressor = compressor }
}
