import FerryTestSupport
import Foundation
import KafkaWire
import NIOCore
import Testing
import FerryTestTags

/// Batches we encode, sent to a real broker (tansu) with our own Produce request over a plain socket, then
/// consumed by librdkafka (confluent-kafka, check.crcs=true): contents must be equal.
@Suite("Interop: our Produce requests, consumed by librdkafka", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct TansuProduceTests {
    @Test(
        "none/gzip/lz4 × keyed/keyless × headers × 1 and 10,000 records arrive intact",
        arguments: [RecordBatchCompression.none, .gzip, .lz4])
    func produceAndConsume(compression: RecordBatchCompression) throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let topic = "interop-\(compression)"
        try broker.createTopic(topic, partitions: 1)
        let connection = try BlockingKafkaConnection(port: broker.port)
        let versions = try connection.send(ApiVersionsRequest(clientSoftwareName: "ferry-test", clientSoftwareVersion: "0"), version: 3)
        let produceVersion = min(versions.versions(of: .produce)?.upperBound ?? 3, ProduceRequest.supportedVersions.upperBound)

        var random = SeededGenerator(seed: 0x5EED_0200 &+ UInt64(compression.rawValue))
        var expected: [Record] = []
        let shapes = [(1, false, false), (1, true, true), (10_000, true, false), (10_000, false, true), (10_000, true, true)]
        for (count, keyed, headers) in shapes {
            let batch = RandomBatches.batch(&random, count: count, compression: compression, keyed: keyed, withHeaders: headers)
            let bytes = try RandomBatches.build(
                RecordBatch(
                    attributes: batch.attributes, baseTimestamp: batch.baseTimestamp, records: batch.records),
                compressor: try BatchCompressor(compression))
            let request = ProduceRequest(
                transactionalId: nil, acks: -1, timeoutMs: 30_000,
                topicData: [.init(name: topic, partitionData: [.init(index: 0, records: bytes)])])
            let response = try connection.send(request, version: produceVersion)
            let partition = try #require(response.responses.first?.partitionResponses.first)
            #expect(partition.errorCode == 0, "produce failed: \(partition.error)")
            expected += batch.records.map { record in
                var record = record
                record.timestampDelta += batch.baseTimestamp
                return record
            }
        }
        let outcome = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: topic, count: expected.count)
        #expect(outcome.errors.isEmpty, "\(outcome.errors)")
        try #require(outcome.records.count == expected.count, "consumed \(outcome.records.count) of \(expected.count)")
        for (index, (got, want)) in zip(outcome.records.sorted { $0.offset < $1.offset }, expected).enumerated() {
            #expect(got.offset == Int64(index))
            #expect(got.key == want.key, "record \(index)")
            #expect(got.value == want.value, "record \(index)")
            #expect(got.timestamp == want.timestampDelta, "record \(index)")
            #expect(got.headers.count == want.headers.count, "record \(index)")
            for (header, wanted) in zip(got.headers, want.headers) {
                #expect(header.0 == wanted.key && header.1 == wanted.value, "record \(index)")
            }
        }
    }
}
