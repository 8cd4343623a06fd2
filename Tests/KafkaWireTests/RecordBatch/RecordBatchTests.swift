import CCRC32C
import FerryTestSupport
import KafkaWire
import NIOCore
import Testing

/// Random batches for the round-trip and golden tests.
enum RandomBatches {
    static func record(_ random: inout SeededGenerator, index: Int32, keyed: Bool, withHeaders: Bool) -> Record {
        let headers = withHeaders
            ? (0..<Int.random(in: 0...3, using: &random)).map { _ in
                RecordHeader(
                    key: random.string(maximumLength: 12),
                    value: Int.random(in: 0..<5, using: &random) == 0 ? nil : random.bytes(Int.random(in: 0..<40, using: &random)))
            }
            : []
        return Record(
            timestampDelta: Int64.random(in: 0...100_000, using: &random), offsetDelta: index,
            key: keyed ? random.bytes(Int.random(in: 0..<24, using: &random)) : nil,
            value: Int.random(in: 0..<20, using: &random) == 0 ? nil : random.bytes(Int.random(in: 0..<400, using: &random)),
            headers: headers)
    }

    static func batch(
        _ random: inout SeededGenerator, count: Int, compression: RecordBatchCompression, keyed: Bool, withHeaders: Bool
    ) -> RecordBatch {
        var records = (0..<count).map { record(&random, index: Int32($0), keyed: keyed, withHeaders: withHeaders) }
        if !records.isEmpty { records[0].timestampDelta = 0 }  // a producer's first record defines the base timestamp
        return RecordBatch(
            baseOffset: 0, partitionLeaderEpoch: -1, attributes: RecordBatchAttributes(compression: compression),
            baseTimestamp: 1_700_000_000_000 + Int64.random(in: 0...1_000_000, using: &random),
            producerId: Int64.random(in: -1...1_000_000, using: &random), producerEpoch: Int16.random(in: -1...30, using: &random),
            baseSequence: Int32.random(in: -1...1_000_000, using: &random), records: records)
    }

    /// Builds `batch` through the fast builder (which sets the offset deltas itself: they must be 0..<n).
    static func build(_ batch: RecordBatch, compressor: BatchCompressor) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for record in batch.records {
            builder.append(
                timestamp: batch.baseTimestamp + record.timestampDelta, key: record.key, value: record.value,
                headers: record.headers)
        }
        var sealed = try builder.seal(with: compressor)
        sealed.stamp(
            baseOffset: batch.baseOffset, partitionLeaderEpoch: batch.partitionLeaderEpoch, producerId: batch.producerId,
            producerEpoch: batch.producerEpoch, baseSequence: batch.baseSequence)
        return sealed.buffer
    }
}

@Suite("Record batches")
struct RecordBatchTests {
    @Test("CRC-32C of \"123456789\" is 0xE3069283, in hardware and in the table fallback")
    func crcVector() {
        let bytes = Array("123456789".utf8)
        #expect(ferry_crc32c_extend(0, bytes, bytes.count) == 0xE306_9283)
        #expect(ferry_crc32c_extend_portable(0, bytes, bytes.count) == 0xE306_9283)
        let chained = ferry_crc32c_extend(ferry_crc32c_extend(0, bytes, 4), Array(bytes[4...]), 5)
        #expect(chained == 0xE306_9283)
    }

    @Test(
        "hardware and table CRC-32C agree at every alignment and length, chained or not (short inputs; long ones take three lanes)",
        arguments: [(seed: UInt64(0x5EED_0003), size: 5000, shortest: 0), (seed: 0x5EED_0004, size: 200_000, shortest: 3000)])
    func crcAgreement(seed: UInt64, size: Int, shortest: Int) {
        var random = SeededGenerator(seed: seed)
        let data = random.bytes(size)
        data.withUnsafeBytes { bytes in
            for _ in 0..<1000 {
                let start = Int.random(in: 0..<100, using: &random)
                let length = Int.random(in: shortest..<(bytes.count - start), using: &random)
                let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
                let expected = ferry_crc32c_extend_portable(7, slice.baseAddress, length)
                #expect(ferry_crc32c_extend(7, slice.baseAddress, length) == expected)
                let cut = Int.random(in: 0...length, using: &random)
                let first = ferry_crc32c_extend(7, slice.baseAddress, cut)
                #expect(ferry_crc32c_extend(first, slice.baseAddress! + cut, length - cut) == expected)
            }
        }
    }

    @Test(
        "the fast builder writes the same bytes as the reference encoder (golden), for every codec",
        arguments: [RecordBatchCompression.none, .gzip, .lz4])
    func builderMatchesReference(compression: RecordBatchCompression) throws {
        var random = SeededGenerator(seed: 0x5EED_0004 &+ UInt64(compression.rawValue))
        for round in 0..<200 {
            let batch = RandomBatches.batch(
                &random, count: Int.random(in: 1...60, using: &random), compression: compression,
                keyed: Bool.random(using: &random), withHeaders: Bool.random(using: &random))
            let fast = try RandomBatches.build(batch, compressor: try BatchCompressor(compression))
            let reference = try batch.encoded(with: try BatchCompressor(compression))
            #expect(fast == reference, "round \(round)")
        }
    }

    @Test("random batches round-trip through encode and decode", arguments: [RecordBatchCompression.none, .gzip, .lz4])
    func roundTrip(compression: RecordBatchCompression) throws {
        var random = SeededGenerator(seed: 0x5EED_0005 &+ UInt64(compression.rawValue))
        let compressor = try BatchCompressor(compression, level: compression == .gzip ? 1 : nil)
        for round in 0..<300 {
            var batch = RandomBatches.batch(
                &random, count: Int.random(in: 0...40, using: &random), compression: compression,
                keyed: Bool.random(using: &random), withHeaders: Bool.random(using: &random))
            batch.baseOffset = Int64.random(in: 0...1_000_000, using: &random)
            batch.partitionLeaderEpoch = Int32.random(in: -1...100, using: &random)
            let bytes = try batch.encoded(with: compressor)
            var decoded = try RecordBatch.decodeAll(bytes)
            #expect(decoded.count == 1)
            decoded[0].crc = 0
            #expect(decoded.first == batch, "round \(round)")
        }
    }

    @Test("a byte flipped anywhere after the CRC field is caught by the CRC, and the error carries the bytes")
    func corruptionDetected() throws {
        var random = SeededGenerator(seed: 0x5EED_0006)
        let batch = RandomBatches.batch(&random, count: 5, compression: .lz4, keyed: true, withHeaders: true)
        let bytes = try RandomBatches.build(batch, compressor: try BatchCompressor(.lz4))
        for position in stride(from: RecordBatchLayout.attributes, to: bytes.readableBytes, by: 3) {
            var damaged = bytes
            damaged.setInteger((damaged.getInteger(at: position, as: UInt8.self) ?? 0) ^ 0x10, at: position)
            do {
                _ = try RecordBatch.decodeAll(damaged)
                Issue.record("flip at \(position) was not detected")
            } catch let error as KafkaWireError {
                #expect(error.code == .badCRC)
                #expect(error.bytes.count == bytes.readableBytes)
            }
        }
    }

    @Test("a partial trailing batch is skipped only when allowed")
    func partialTrailing() throws {
        var random = SeededGenerator(seed: 0x5EED_0007)
        let compressor = try BatchCompressor(.none)
        var blob = try RandomBatches.build(
            RandomBatches.batch(&random, count: 3, compression: .none, keyed: false, withHeaders: false), compressor: compressor)
        var second = try RandomBatches.build(
            RandomBatches.batch(&random, count: 3, compression: .none, keyed: false, withHeaders: false), compressor: compressor)
        var cut = second.readSlice(length: second.readableBytes - 10)!
        blob.writeBuffer(&cut)
        #expect(try RecordBatch.decodeAll(blob, allowPartialTrailingBatch: true).count == 1)
        #expect(throws: KafkaWireError.self) { try RecordBatch.decodeAll(blob) }
    }

    @Test("a batch whose records expand past the cap is an error, not an allocation (gzip bomb)")
    func decompressionCap() throws {
        var builder = RecordBatchBuilder()
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0..<16 { builder.append(timestamp: 0, key: nil, value: zeros) }
        var sealed = try builder.seal(with: try BatchCompressor(.gzip, level: 9))
        sealed.stamp()
        #expect(sealed.sizeInBytes < 100_000)
        #expect { try RecordBatch.decodeAll(sealed.buffer, maximumRecordsSize: 1 << 20) } throws: {
            ($0 as? KafkaWireError)?.code == .compression
        }
        #expect(try RecordBatch.decodeAll(sealed.buffer, maximumRecordsSize: 32 << 20).first?.records.count == 16)
    }

    @Test("shrink moves a compressed batch into a buffer of its size, bytes unchanged")
    func shrinkToSize() throws {
        var builder = RecordBatchBuilder()
        for index in 0..<2_000 {
            builder.append(timestamp: Int64(index), key: nil, value: Array("GET /index.html 200 \(index % 10)".utf8))
        }
        var sealed = try builder.seal(with: try BatchCompressor(.lz4))
        sealed.stamp()
        let before = Array(sealed.buffer.readableBytesView)
        let allocated = sealed.capacity
        #expect(allocated >= 2 * sealed.sizeInBytes, "LZ4's bound is far above what this batch compresses to")
        sealed.shrink(slack: 16_384)
        #expect(sealed.capacity < allocated && sealed.capacity < 2 * sealed.sizeInBytes)
        #expect(Array(sealed.buffer.readableBytesView) == before)
        #expect(try RecordBatch.decodeAll(sealed.buffer).first?.records.count == 2_000)
        let shrunk = sealed.capacity
        sealed.shrink(slack: 0)
        #expect(sealed.capacity == shrunk, "a buffer less than twice the batch is left alone")
        #expect(Array(sealed.buffer.readableBytesView) == before)
    }

    @Test("attributes carry codec, timestamp type, transactional and control bits")
    func attributes() {
        let attributes = RecordBatchAttributes(compression: .lz4, logAppendTime: true, isTransactional: true, isControl: false)
        #expect(attributes.rawValue == 3 | 8 | 16)
        #expect(attributes.compression == .lz4)
        #expect(attributes.logAppendTime && attributes.isTransactional && !attributes.isControl)
        #expect(RecordBatchAttributes(rawValue: 7).compression == nil)
    }

    @Test("sizeOfRecord predicts exactly what append adds")
    func sizePrediction() {
        var random = SeededGenerator(seed: 0x5EED_0008)
        var builder = RecordBatchBuilder()
        for index in 0..<500 {
            let record = RandomBatches.record(&random, index: Int32(index), keyed: Bool.random(using: &random), withHeaders: true)
            let timestamp = 1_000 + record.timestampDelta
            let predicted = builder.sizeOfRecord(
                timestamp: timestamp, keyLength: record.key?.count ?? -1, valueLength: record.value?.count ?? -1,
                headerCount: record.headers.count, headersSize: record.headers.reduce(0) { $0 + $1.encodedSize })
            let before = builder.sizeInBytes
            builder.append(timestamp: timestamp, key: record.key, value: record.value, headers: record.headers)
            #expect(builder.sizeInBytes - before == predicted)
        }
    }
}
