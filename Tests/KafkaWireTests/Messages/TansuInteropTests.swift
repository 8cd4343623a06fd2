import FerryTestSupport
import Foundation
import KafkaWire
import NIOCore
import Testing
import FerryTestTags

/// Every version of each API that both this code and a real broker (tansu) implement, spoken over a plain
/// loopback socket: the broker must accept our requests and we must decode its answers, with the values
/// that the requests imply (topics created, offsets assigned in order, the produced values fetched back).
/// Enabled when the tansu binary is present (`make setup`, or `FERRY_TANSU`).
@Suite("Messages against tansu", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct TansuInteropTests {
    static var tansuAvailable: Bool { FileManager.default.isExecutableFile(atPath: TansuBroker.binary) }

    /// The versions of `Message` that both sides implement, from the broker's ApiVersions answer.
    static func commonVersions<Message: KafkaMessage>(_ type: Message.Type, _ broker: ApiVersionsResponse) -> [Int16] {
        guard let range = broker.versions(of: Message.apiKey) else { return [] }
        return Array(Message.supportedVersions.clamped(to: range))
    }

    static func batch(value: String) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        builder.append(timestamp: 1_700_000_000_000, key: nil, value: Array(value.utf8))
        var sealed = try builder.seal(with: try BatchCompressor(.none))
        sealed.stamp()
        return sealed.buffer
    }

    @Test("CreateTopics, Metadata, InitProducerId, Produce, ListOffsets and Fetch in every common version", .enabled(if: tansuAvailable))
    func everyCommonVersion() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        let connection = try BlockingKafkaConnection(port: broker.port)
        let apis = try connection.send(ApiVersionsRequest(clientSoftwareName: "ferry-test", clientSoftwareVersion: "0"), version: 3)
        #expect(apis.errorCode == 0)
        var exchanges = 0

        // CreateTopics: one topic per version.
        for version in Self.commonVersions(CreateTopicsRequest.self, apis) {
            let name = "created-v\(version)"
            let request = CreateTopicsRequest(topics: [.init(name: name, numPartitions: 2, replicationFactor: 1)], timeoutMs: 10_000)
            let response = try connection.send(request, version: version)
            #expect(response.topics.map(\.name) == [name], "CreateTopics v\(version)")
            #expect(response.topics.first?.errorCode == 0, "CreateTopics v\(version): \(response)")
            exchanges += 1
        }
        let topic = "interop"
        let created = try connection.send(
            CreateTopicsRequest(topics: [.init(name: topic, numPartitions: 1, replicationFactor: 1)]), version: 5)
        #expect(created.topics.first?.errorCode == 0, "\(created)")

        // Metadata: the topic, its one partition with a leader, and this broker.
        var topicId = KafkaUUID.zero
        for version in Self.commonVersions(MetadataRequest.self, apis) {
            let response = try connection.send(MetadataRequest(topicNames: [topic]), version: version)
            let entry = try #require(response.topics.first, "Metadata v\(version)")
            #expect(entry.name == topic && entry.errorCode == 0, "Metadata v\(version): \(entry)")
            #expect(entry.partitions.map(\.partitionIndex) == [0], "Metadata v\(version)")
            #expect((entry.partitions.first?.leaderId ?? -1) >= 0, "Metadata v\(version)")
            #expect(response.brokers.contains { $0.port == Int32(broker.port) }, "Metadata v\(version): \(response.brokers)")
            if version >= 10 { topicId = entry.topicId }
            exchanges += 1
        }

        // tansu 0.6.0 answers UNKNOWN_SERVER_ERROR (-1) to InitProducerId v0-2 whoever asks: kafka-python's
        // encoder sends the same bytes (`ffff 0000ea60` for v0) and gets the same answer. From v3 it works.
        for version in Self.commonVersions(InitProducerIdRequest.self, apis) {
            let response = try connection.send(InitProducerIdRequest(), version: version)
            if version >= 3 {
                #expect(response.errorCode == 0 && response.producerId >= 0, "InitProducerId v\(version): \(response)")
            } else {
                #expect(response.error == .unknownServerError && response.producerId == -1, "InitProducerId v\(version): \(response)")
            }
            exchanges += 1
        }

        // Produce one single-record batch per version: offsets are assigned in order.
        var produced: [String] = []
        for version in Self.commonVersions(ProduceRequest.self, apis) {
            let value = "produced with v\(version)"
            let request = ProduceRequest(
                acks: -1, timeoutMs: 10_000,
                topicData: [.init(name: topic, partitionData: [.init(index: 0, records: try Self.batch(value: value))])])
            let response = try connection.send(request, version: version)
            let partition = try #require(response.responses.first?.partitionResponses.first, "Produce v\(version)")
            #expect(partition.errorCode == 0, "Produce v\(version): \(partition)")
            #expect(partition.baseOffset == Int64(produced.count), "Produce v\(version): \(partition)")
            produced.append(value)
            exchanges += 1
        }
        #expect(!produced.isEmpty)

        // ListOffsets: the end of the log is the number of records produced, the start is 0.
        for version in Self.commonVersions(ListOffsetsRequest.self, apis) {
            for (timestamp, expected) in [(ListOffsetsRequest.latestTimestamp, Int64(produced.count)), (ListOffsetsRequest.earliestTimestamp, 0)] {
                let request = ListOffsetsRequest(topics: [.init(name: topic, partitions: [.init(partitionIndex: 0, timestamp: timestamp)])])
                let response = try connection.send(request, version: version)
                let partition = try #require(response.topics.first?.partitions.first, "ListOffsets v\(version)")
                #expect(partition.errorCode == 0 && partition.offset == expected, "ListOffsets v\(version) at \(timestamp): \(partition)")
                exchanges += 1
            }
        }

        // Fetch from offset 0: the batches come back with the values produced, in order.
        for version in Self.commonVersions(FetchRequest.self, apis) {
            let fetchTopic = FetchRequest.FetchTopic(
                topic: topic, topicId: topicId, partitions: [.init(partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20)])
            let response = try connection.send(FetchRequest(maxWaitMs: 100, minBytes: 1, topics: [fetchTopic]), version: version)
            #expect(response.errorCode == 0, "Fetch v\(version): \(response.errorCode)")
            let partition = try #require(response.responses.first?.partitions.first, "Fetch v\(version)")
            #expect(partition.errorCode == 0, "Fetch v\(version): \(partition.errorCode)")
            let records = try #require(partition.records, "Fetch v\(version): no records")
            let batches = try RecordBatch.decodeAll(records, allowPartialTrailingBatch: true)
            let values = batches.flatMap(\.records).map { String(decoding: $0.value ?? [], as: UTF8.self) }
            #expect(values == produced, "Fetch v\(version)")
            exchanges += 1
        }
        print("tansu interop: \(exchanges) request/response exchanges, \(produced.count) produce versions")
    }
}
