import KafkaWire
import Testing

@testable import KafkaProducer

@Suite("Record accumulator")
struct RecordAccumulatorTests {
    static func accumulator(_ properties: [String: String] = [:]) throws -> RecordAccumulator {
        var all = ["bootstrap.servers": "127.0.0.1:1", "batch.size": "1000", "buffer.memory": "4096", "max.block.ms": "50"]
        all.merge(properties) { _, new in new }
        let accumulator = RecordAccumulator(configuration: try ProducerConfiguration(properties: all)) { _ in }
        accumulator.updateTopic("t", partitionCount: 4, available: [0, 1, 2, 3], error: nil)
        return accumulator
    }

    static func append(_ accumulator: RecordAccumulator, key: String?, value: String, partition: Int32? = nil, token: UInt64 = 0)
        throws(ProducerError) -> (partition: Int32, closed: [ClosedBatch])
    {
        let valueBytes = Array(value.utf8)
        let keyBytes = key.map { Array($0.utf8) }
        var outcome: Result<(partition: Int32, closed: [ClosedBatch]), ProducerError> = .failure(ProducerError(.closed, ""))
        (keyBytes ?? []).withUnsafeBytes { k in
            valueBytes.withUnsafeBytes { v in
                outcome = Result { () throws(ProducerError) in
                    try accumulator.append(
                        topic: "t", partition: partition, timestamp: 1, key: keyBytes == nil ? nil : k, value: v, headerCount: 0,
                        headersSize: 0, writeHeaders: { _ in }, token: token, maxBlockNs: 50_000_000)
                }
            }
        }
        return try outcome.get()
    }

    @Test("keyed records go to murmur2(key) % partitions, explicit partitions are honoured")
    func keyed() throws {
        let accumulator = try Self.accumulator()
        for key in ["a", "b", "user:42", "/var/log/syslog"] {
            let chosen = try Self.append(accumulator, key: key, value: "x").partition
            #expect(chosen == Murmur2.partition(forKey: Array(key.utf8), partitionCount: 4))
        }
        #expect(try Self.append(accumulator, key: "a", value: "x", partition: 3).partition == 3)
        #expect { try Self.append(accumulator, key: nil, value: "x", partition: 9) } throws: {
            ($0 as? ProducerError)?.code == .invalidPartition
        }
    }

    @Test("keyless records stick to one partition until its batch closes, then move")
    func sticky() throws {
        let accumulator = try Self.accumulator(["buffer.memory": "1000000"])
        let first = try Self.append(accumulator, key: nil, value: "x").partition
        var closedAt: Int32? = nil
        var token: UInt64 = 1
        while closedAt == nil {
            let result = try Self.append(accumulator, key: nil, value: String(repeating: "y", count: 100), token: token)
            token += 1
            if !result.closed.isEmpty {
                #expect(result.closed.first?.info.topicPartition.partition == first)
                closedAt = result.partition
            } else {
                #expect(result.partition == first)
            }
        }
        // The sticky choice moved on (it may, by chance, pick the same partition again: try a few times).
        var moved = closedAt != first
        for _ in 0..<20 where !moved {
            let filled = try (0..<12).map { _ in try Self.append(accumulator, key: nil, value: String(repeating: "z", count: 100)) }
            moved = Set(filled.map(\.partition)).count > 1
        }
        #expect(moved)
    }

    @Test("batches close at batch.size and keep creation order per partition; tokens follow their records")
    func batchBoundaries() throws {
        let accumulator = try Self.accumulator(["buffer.memory": "1000000"])
        var closed: [ClosedBatch] = []
        for token in 0..<100 {
            closed += try Self.append(accumulator, key: nil, value: String(repeating: "v", count: 50), partition: 2, token: UInt64(token)).closed
        }
        closed += accumulator.closeAll()
        #expect(closed.map(\.info.index) == Array(0..<UInt64(closed.count)))
        #expect(closed.flatMap(\.info.tokens) == Array(0..<100))
        #expect(closed.dropLast().allSatisfy { $0.builder.sizeInBytes <= 1000 })
    }

    @Test("a full buffer.memory blocks send for max.block.ms, then fails; released memory unblocks it")
    func bufferMemory() throws {
        let accumulator = try Self.accumulator()
        var closed: [ClosedBatch] = []
        var error: ProducerError? = nil
        for token in 0..<200 {
            do {
                closed += try Self.append(accumulator, key: nil, value: String(repeating: "m", count: 100), partition: 0, token: UInt64(token)).closed
            } catch let failure {
                error = failure
                break
            }
        }
        #expect(error?.code == .bufferExhausted)
        #expect(accumulator.buffered <= 4096)
        for batch in closed + accumulator.closeAll() { accumulator.release(batch.info.reservedBytes, topic: batch.info.topicPartition.topic) }
        #expect(accumulator.buffered == 0)
        #expect(throws: Never.self) { try Self.append(accumulator, key: nil, value: "ok") }
    }

    @Test("a record larger than max.request.size fails alone, with a clear error")
    func recordTooLarge() throws {
        let accumulator = try Self.accumulator(["max.request.size": "2048", "buffer.memory": "100000"])
        #expect { try Self.append(accumulator, key: nil, value: String(repeating: "L", count: 5000)) } throws: {
            ($0 as? ProducerError)?.code == .recordTooLarge
        }
        #expect(throws: Never.self) { try Self.append(accumulator, key: nil, value: "small") }
    }

    @Test("an unknown topic waits max.block.ms for metadata, then fails naming it")
    func metadataTimeout() throws {
        let accumulator = try Self.accumulator()
        let bytes: [UInt8] = [1]
        #expect {
            try bytes.withUnsafeBytes { value in
                try accumulator.append(
                    topic: "nowhere", partition: nil, timestamp: 0, key: nil, value: value, headerCount: 0, headersSize: 0,
                    writeHeaders: { _ in }, token: 0, maxBlockNs: 30_000_000)
            }
        } throws: { error in
            guard let error = error as? ProducerError else { return false }
            return error.code == .metadataTimeout && error.topic == "nowhere"
        }
    }
}
