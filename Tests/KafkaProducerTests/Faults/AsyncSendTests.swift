import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Logging
import Synchronization
import Testing

extension ProducerFaults {
    /// The async `send` never blocks a thread of the caller's pool.
    @Suite("async send never blocks a thread")
    struct AsyncSend {
        @Test("two-thread pool, a full buffer behind a stalled broker, 10,000 pending async sends: a heartbeat ticks every 10 ms throughout; every send ends, delivered or buffer_exhausted after max.block.ms")
        func fullBufferTwoThreads() async throws {
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            try cluster.createTopic("stalled", partitions: 2)
            var configuration = try ProducerConfiguration(properties: [
                "bootstrap.servers": cluster.bootstrap, "buffer.memory": "65536", "batch.size": "8192",
                "max.block.ms": "3000", "linger.ms": "1",
            ])
            configuration.compressionThreads = 1
            let producer = try KafkaProducer(configuration: configuration, logger: Logger(label: "async-send"))
            // Metadata first, so the wait below is for buffer space.
            _ = try await producer.send(ProducerRecord(topic: "stalled", key: "k", value: "warm-up"))
            // Every Produce answer from now waits 5 s (later ones queue behind it): the buffer fills and stays full.
            cluster.inject(FakeConnectionFault(.delayResponse(milliseconds: 5000), api: .produce, requests: 1))

            let executor = FixedThreadExecutor(threads: 2)
            defer { executor.shutdown() }
            let value = [UInt8](repeating: 0x61, count: 100)
            let (delivered, exhausted, other, maxGapMs, ticks) = await withTaskExecutorPreference(executor) {
                let running = ManagedAtomicFlag()
                let heartbeat = Task(executorPreference: executor) { () -> (Double, Int) in
                    var last = Date()
                    var maxGap = 0.0
                    var ticks = 0
                    while !running.isDone {
                        try? await Task.sleep(for: .milliseconds(10))
                        let now = Date()
                        maxGap = max(maxGap, now.timeIntervalSince(last) * 1000)
                        last = now
                        ticks += 1
                    }
                    return (maxGap, ticks)
                }
                var delivered = 0, exhausted = 0, other: [String] = []
                await withTaskGroup(of: Result<RecordMetadata, Error>.self) { group in
                    for index in 0..<10_000 {
                        group.addTask {
                            do {
                                return .success(try await producer.send(
                                    ProducerRecord(topic: "stalled", key: "\(index % 50)", value: value)))
                            } catch {
                                return .failure(error)
                            }
                        }
                    }
                    for await result in group {
                        switch result {
                        case .success: delivered += 1
                        case .failure(let error as ProducerError) where error.code == .bufferExhausted: exhausted += 1
                        case .failure(let error): if other.count < 5 { other.append("\(error)") }
                        }
                    }
                }
                running.set()
                let (gap, ticks) = await heartbeat.value
                return (delivered, exhausted, other, gap, ticks)
            }
            print("async send, 2 threads, stalled broker: delivered \(delivered), buffer_exhausted \(exhausted), other \(other.count); heartbeat \(ticks) ticks, largest gap \(Int(maxGapMs)) ms")
            #expect(other.isEmpty, "\(other)")
            #expect(delivered + exhausted == 10_000)
            #expect(delivered > 0 && exhausted > 0)
            // A blocked pool stops the heartbeat for max.block.ms (3 s) at a time; running 10,000 tasks' jobs
            // through two threads delays it by a fraction of that.
            #expect(maxGapMs < 1500, "largest heartbeat gap \(maxGapMs) ms")
            await producer.close(timeout: .seconds(10))
        }
    }
}

/// A flag set once, read from any thread.
final class ManagedAtomicFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isDone: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
