import FerryTestSupport
import Foundation
import KafkaWire
import NIOCore
import Testing
import FerryTestTags

/// Batches we encode, decoded by kafka-python's pure-Python record-batch decoder.
@Suite("Interop: kafka-python decodes our batches", .tags(.childProcess), .needsChildProcesses)
struct KafkaPythonDecodeTests {
    struct Case: CustomStringConvertible, Sendable {
        var compression: RecordBatchCompression
        var count: Int
        var keyed: Bool
        var headers: Bool
        var description: String { "\(compression) × \(count) records, keys \(keyed), headers \(headers)" }
    }

    static let cases: [Case] = [RecordBatchCompression.none, .gzip, .lz4].flatMap { compression in
        [1, 10_000].flatMap { count in
            [(false, false), (true, false), (true, true), (false, true)].map { keyed, headers in
                Case(compression: compression, count: count, keyed: keyed, headers: headers)
            }
        }
    }

    @Test("every field and record decodes equal in kafka-python, CRC valid", arguments: cases)
    func decodes(_ testCase: Case) throws {
        var random = SeededGenerator(seed: 0x5EED_0100 &+ UInt64(testCase.count) &+ UInt64(testCase.compression.rawValue))
        let batch = RandomBatches.batch(
            &random, count: testCase.count, compression: testCase.compression, keyed: testCase.keyed,
            withHeaders: testCase.headers)
        let bytes = try RandomBatches.build(batch, compressor: try BatchCompressor(testCase.compression))
        let directory = try TemporaryDirectory("kafka-python")
        defer { directory.remove() }
        let path = directory.file("batch.bin")
        try Data(bytes.readableBytesView).write(to: URL(fileURLWithPath: path))
        let result = try Subprocess.python("verify/decode_batches.py", [path], timeout: 120)
        try #require(result.status == 0, "decode_batches.py failed: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let batches = try #require(json["batches"] as? [[String: Any]])
        try #require(batches.count == 1)
        let decoded = batches[0]
        #expect(decoded["crc_valid"] as? Bool == true)
        #expect(decoded["magic"] as? Int == 2)
        #expect(decoded["compression"] as? Int == Int(testCase.compression.rawValue))
        #expect(decoded["records_count"] as? Int == testCase.count)
        #expect(decoded["producer_id"] as? Int == Int(batch.producerId))
        #expect(decoded["producer_epoch"] as? Int == Int(batch.producerEpoch))
        #expect(decoded["base_sequence"] as? Int == Int(batch.baseSequence))
        #expect(decoded["first_timestamp"] as? Int == Int(batch.baseTimestamp))
        #expect(decoded["max_timestamp"] as? Int == Int(batch.maxTimestamp))
        #expect(decoded["last_offset_delta"] as? Int == testCase.count - 1)
        let records = try #require(decoded["records"] as? [[String: Any]])
        try #require(records.count == batch.records.count)
        for (index, (theirs, ours)) in zip(records, batch.records).enumerated() {
            #expect(theirs["offset"] as? Int == index)
            #expect(theirs["timestamp"] as? Int == Int(batch.baseTimestamp + ours.timestampDelta))
            #expect(theirs["key"] as? String == ours.key.map(hex), "record \(index)")
            #expect(theirs["value"] as? String == ours.value.map(hex), "record \(index)")
            let headers = (theirs["headers"] as? [[Any]]) ?? []
            #expect(headers.count == ours.headers.count)
            for (header, expected) in zip(headers, ours.headers) {
                #expect(header.first as? String == expected.key)
                #expect((header.last as? String) == expected.value.map(hex))
            }
        }
    }
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
