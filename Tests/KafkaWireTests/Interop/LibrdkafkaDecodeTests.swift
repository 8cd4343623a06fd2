import FerryTestSupport
import Foundation
import KafkaWire
import NIOCore
import Testing
import FerryTestTags

/// The other direction of the golden interop: batches written by librdkafka (confluent-kafka, idempotent,
/// gzip/lz4/zstd/snappy/none) to a real broker (tansu), fetched with our own Fetch request over a plain
/// socket and decoded by our decoder (CRCs checked): every record equals what the Python producer sent.
@Suite("Interop: librdkafka's batches, decoded by us", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct LibrdkafkaDecodeTests {
    static let count = 3_000

    @Test("gzip/lz4/zstd/snappy/none batches from confluent-kafka decode to the records it sent",
          arguments: ["gzip", "lz4", "zstd", "snappy", "none"])
    func decodeForeignBatches(codec: String) throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let topic = "foreign-\(codec)"
        try broker.createTopic(topic, partitions: 1)
        let produced = try Subprocess.python(
            "verify/produce.py",
            ["--bootstrap", broker.bootstrap, "--topic", topic, "--codec", codec, "--count", "\(Self.count)"])
        try #require(produced.status == 0, "produce.py: \(produced.stdout) \(produced.stderr.suffix(2000))")

        let connection = try BlockingKafkaConnection(port: broker.port)
        let versions = try connection.send(ApiVersionsRequest(clientSoftwareName: "ferry-test", clientSoftwareVersion: "0"), version: 3)
        // v13+ names topics by id; v12 is the newest that takes a name.
        let fetchVersion = min(versions.versions(of: .fetch)?.upperBound ?? 4, 12)
        var batches: [RecordBatch] = []
        var next: Int64 = 0
        var emptyFetches = 0
        while next < Int64(Self.count), emptyFetches < 20 {
            let request = FetchRequest(
                maxWaitMs: 200, topics: [.init(topic: topic, partitions: [.init(partition: 0, fetchOffset: next)])])
            let response = try connection.send(request, version: fetchVersion)
            let partition = try #require(response.responses.first?.partitions.first)
            try #require(partition.errorCode == 0, "fetch at \(next) failed: \(partition.error)")
            let fetched = try RecordBatch.decodeAll(partition.records ?? ByteBuffer(), allowPartialTrailingBatch: true)
                .filter { $0.baseOffset + Int64($0.lastOffsetDelta) >= next }
            if fetched.isEmpty { emptyFetches += 1 }
            for batch in fetched {
                batches.append(batch)
                next = batch.baseOffset + Int64(batch.lastOffsetDelta) + 1
            }
        }

        let expectedCode: Int = ["none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4][codec] ?? -1
        #expect(batches.count > 1, "librdkafka should have written several batches")
        // librdkafka compresses only when it pays; every compressed batch must carry the asked-for codec.
        #expect(batches.allSatisfy { Int($0.attributes.compressionCode) == expectedCode || $0.attributes.compressionCode == 0 })
        #expect(batches.contains { Int($0.attributes.compressionCode) == expectedCode }, "no batch used \(codec)")
        #expect(batches.allSatisfy { $0.producerId >= 0 }, "idempotent batches carry a producer id")

        var index = 0
        for batch in batches {
            #expect(batch.baseSequence == Int32(batch.baseOffset), "sequence follows the offset for one producer")
            for record in batch.records {
                #expect(batch.baseOffset + Int64(record.offsetDelta) == Int64(index))
                let want = Self.expected(index)
                #expect(record.key == want.key, "record \(index) key")
                #expect(record.value == want.value, "record \(index) value")
                #expect(record.headers.map(\.key) == want.headers.map(\.0), "record \(index) headers")
                #expect(record.headers.map(\.value) == want.headers.map { Optional($0.1) }, "record \(index) headers")
                index += 1
            }
        }
        #expect(index == Self.count, "decoded \(index) of \(Self.count) records")
    }

    /// What `scripts/verify/produce.py` sends as record `i`.
    static func expected(_ i: Int) -> (key: [UInt8]?, value: [UInt8], headers: [(String, [UInt8])]) {
        let key: [UInt8]? = i % 5 == 0 ? nil : Array("key-\(i)".utf8)
        let value = Array("value-\(i) ".utf8) + (0..<((i * 3) % 300)).map { UInt8((i * 7 + $0) % 256) }
        let headers: [(String, [UInt8])] = i % 7 == 0 ? [] : [("h", Array("\(i)".utf8))]
        return (key, value, headers)
    }
}
