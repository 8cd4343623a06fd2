// Sending many records fast and learning each one's fate, without a task per record: the callback form of
// `send`, as Java's `send(record, callback)`. The callback runs on the producer's event loop: keep it short.
//
// Run: swift run high-throughput [bootstrap servers] [topic] [records]
import KafkaProducer
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
let bootstrap = arguments.count > 0 ? arguments[0] : "localhost:9092"
let topic = arguments.count > 1 ? arguments[1] : "events"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000_000 : 1_000_000

let producer = try KafkaProducer(properties: [
    "bootstrap.servers": bootstrap,
    "compression.type": "lz4",
    "linger.ms": "10",
    "batch.size": "1048576",
    "buffer.memory": "67108864",
    "max.request.size": "4194304",
])

/// Outcomes, counted from the callbacks.
final class Tally: Sendable {
    let delivered = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}
let tally = Tally()
let started = ContinuousClock.now
for n in 0..<count {
    let record = ProducerRecord(topic: topic, key: "user-\(n % 1000)", value: "event \(n): GET /api/items/\(n % 977) 200")
    // Blocks this thread only while buffer.memory is full (up to max.block.ms), like Java's send.
    try producer.send(record) { result in
        switch result {
        case .success: tally.delivered.add(1, ordering: .relaxed)
        case .failure: tally.failed.add(1, ordering: .relaxed)
        }
    }
}
await producer.flush()
let elapsed = ContinuousClock.now - started
_ = await producer.close()
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
let delivered = tally.delivered.load(ordering: .relaxed)
let failed = tally.failed.load(ordering: .relaxed)
print("delivered \(delivered), failed \(failed), \(Int(Double(count) / seconds)) records/s")
exit(delivered == count ? 0 : 1)
