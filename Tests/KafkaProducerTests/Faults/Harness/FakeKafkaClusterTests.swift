import FerryTestSupport
import KafkaWire
import NIOCore
import Testing

/// The fake cluster over real sockets, driven by hand-made requests: it must answer like a broker, and
/// each fault hook must do what it says, or the producer fault tests prove nothing.
@Suite("Fault harness: fake Kafka cluster")
struct FakeKafkaClusterTests {
    /// A record batch of `count` records, stamped with a producer id (or none).
    static func batch(
        _ count: Int, producerId: Int64 = -1, epoch: Int16 = -1, sequence: Int32 = -1, tag: String = "r"
    ) throws -> ByteBuffer {
        var builder = RecordBatchBuilder()
        for index in 0..<count { builder.append(timestamp: 1000, key: Array("k".utf8), value: Array("\(tag)\(index)".utf8)) }
        var sealed = try builder.seal(with: try BatchCompressor(.none))
        sealed.stamp(producerId: producerId, producerEpoch: epoch, baseSequence: sequence)
        return sealed.buffer
    }

    static func produce(_ topic: String, _ partition: Int32, _ records: ByteBuffer, acks: Int16 = -1) -> ProduceRequest {
        ProduceRequest(acks: acks, timeoutMs: 5000, topicData: [.init(name: topic, partitionData: [.init(index: partition, records: records)])])
    }

    static func code(_ response: ProduceResponse) -> KafkaErrorCode {
        response.responses.first?.partitionResponses.first?.error ?? .unknownServerError
    }

    @Test("ApiVersions in v3 and v0 list what is advertised; a version above it gets UNSUPPORTED_VERSION in a v0 body")
    func apiVersions() throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        let socket = try RawKafkaSocket(port: try #require(cluster.port(of: 1)))
        try socket.send(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3)
        let v3 = try socket.response(to: ApiVersionsRequest.self, version: 3)
        #expect(v3.error == .none && v3.versions(of: .produce) == 3...11 && v3.versions(of: .initProducerId) == 0...4)
        try socket.send(ApiVersionsRequest(), version: 0)
        let v0 = try socket.response(to: ApiVersionsRequest.self, version: 0)
        #expect(v0.error == .none && v0.versions(of: .metadata) == 1...12)
        try socket.send(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 4)
        let refused = try socket.response(to: ApiVersionsRequest.self, version: 0)
        #expect(refused.error == .unsupportedVersion && refused.versions(of: .apiVersions) == 0...3)
        #expect(cluster.violations.isEmpty)
    }

    @Test("Metadata names every broker and each partition's leader; an unknown topic is UNKNOWN_TOPIC_OR_PARTITION; a leaderless partition says LEADER_NOT_AVAILABLE")
    func metadata() throws {
        let cluster = try FakeKafkaCluster(brokers: 3)
        defer { cluster.stop() }
        try cluster.createTopic("t", partitions: 4)
        try cluster.moveLeader(topic: "t", partition: 3, to: nil)
        let socket = try RawKafkaSocket(port: try #require(cluster.port(of: 2)))
        try socket.send(MetadataRequest(topicNames: ["t", "missing"]), version: 12)
        let response = try socket.response(to: MetadataRequest.self, version: 12)
        #expect(response.brokers.map(\.nodeId) == [1, 2, 3])
        #expect(response.brokers.map { Int($0.port) } == [1, 2, 3].map { cluster.port(of: $0)! })
        let topic = try #require(response.topics.first { $0.name == "t" })
        #expect(topic.partitions.map(\.leaderId) == [1, 2, 3, -1])
        #expect(topic.partitions[3].error == .leaderNotAvailable)
        #expect(response.topics.first { $0.name == "missing" }?.error == .unknownTopicOrPartition)
        #expect(cluster.bootstrap.split(separator: ",").count == 3)
    }

    @Test("InitProducerId: fresh ids; v3+ bumps the epoch of a known id; a stale epoch is PRODUCER_FENCED; with bumps off, a fresh id")
    func initProducerId() throws {
        var options = FakeKafkaOptions()
        let cluster = try FakeKafkaCluster(brokers: 1, options: options)
        defer { cluster.stop() }
        let socket = try RawKafkaSocket(port: try #require(cluster.port(of: 1)))
        try socket.send(InitProducerIdRequest(transactionTimeoutMs: -1), version: 4)
        let first = try socket.response(to: InitProducerIdRequest.self, version: 4)
        #expect(first.error == .none && first.producerEpoch == 0)
        try socket.send(InitProducerIdRequest(transactionTimeoutMs: -1, producerId: first.producerId, producerEpoch: 0), version: 4)
        let bumped = try socket.response(to: InitProducerIdRequest.self, version: 4)
        #expect(bumped.producerId == first.producerId && bumped.producerEpoch == 1)
        try socket.send(InitProducerIdRequest(transactionTimeoutMs: -1, producerId: first.producerId, producerEpoch: 0), version: 4)
        #expect(try socket.response(to: InitProducerIdRequest.self, version: 4).error == .producerFenced)
        try socket.send(InitProducerIdRequest(transactionTimeoutMs: -1), version: 2)
        let second = try socket.response(to: InitProducerIdRequest.self, version: 2)
        #expect(second.producerId != first.producerId && second.producerEpoch == 0)
        #expect(cluster.stats.producerIdsIssued == 2 && cluster.stats.epochBumps == 1)

        options.bumpsEpochs = false
        let kafkaLike = try FakeKafkaCluster(brokers: 1, options: options)
        defer { kafkaLike.stop() }
        let other = try RawKafkaSocket(port: try #require(kafkaLike.port(of: 1)))
        try other.send(InitProducerIdRequest(transactionTimeoutMs: -1), version: 4)
        let id = try other.response(to: InitProducerIdRequest.self, version: 4)
        try other.send(InitProducerIdRequest(transactionTimeoutMs: -1, producerId: id.producerId, producerEpoch: 0), version: 4)
        let renewed = try other.response(to: InitProducerIdRequest.self, version: 4)
        #expect(renewed.producerId != id.producerId && renewed.producerEpoch == 0)
    }

    @Test("Produce: appended at consecutive offsets; duplicate is DUPLICATE_SEQUENCE_NUMBER; not the leader is NOT_LEADER_OR_FOLLOWER naming the leader; acks=0 gets no answer")
    func produce() throws {
        let cluster = try FakeKafkaCluster(brokers: 2)
        defer { cluster.stop() }
        try cluster.createTopic("t", partitions: 2)
        let leader = try RawKafkaSocket(port: try #require(cluster.port(of: 1)))
        try leader.send(InitProducerIdRequest(transactionTimeoutMs: -1), version: 4)
        let id = try leader.response(to: InitProducerIdRequest.self, version: 4).producerId
        let first = try Self.batch(3, producerId: id, epoch: 0, sequence: 0)
        try leader.send(Self.produce("t", 0, first), version: 11)
        let appended = try leader.response(to: ProduceRequest.self, version: 11)
        #expect(Self.code(appended) == .none && appended.responses[0].partitionResponses[0].baseOffset == 0)
        try leader.send(Self.produce("t", 0, try Self.batch(2, producerId: id, epoch: 0, sequence: 3)), version: 9)
        #expect(try leader.response(to: ProduceRequest.self, version: 9).responses[0].partitionResponses[0].baseOffset == 3)
        try leader.send(Self.produce("t", 0, first), version: 11)
        #expect(Self.code(try leader.response(to: ProduceRequest.self, version: 11)) == .duplicateSequenceNumber)
        try leader.send(Self.produce("t", 0, try Self.batch(1), acks: 0), version: 11)

        let follower = try RawKafkaSocket(port: try #require(cluster.port(of: 2)))
        try follower.send(Self.produce("t", 0, try Self.batch(1)), version: 11)
        let refused = try follower.response(to: ProduceRequest.self, version: 11)
        #expect(Self.code(refused) == .notLeaderOrFollower)
        #expect(refused.responses[0].partitionResponses[0].currentLeader.leaderId == 1)
        #expect(refused.nodeEndpoints.map(\.nodeId) == [1])
        #expect(cluster.records(topic: "t", partition: 0).map(\.offset) == [0, 1, 2, 3, 4, 5])
        #expect(cluster.stats.duplicates == 1 && cluster.violations.isEmpty)
    }

    @Test("a bad CRC is CORRUPT_MESSAGE and a violation; an epoch never issued is a violation")
    func violations() throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        try cluster.createTopic("t", partitions: 1)
        let socket = try RawKafkaSocket(port: try #require(cluster.port(of: 1)))
        var corrupt = try Self.batch(2)
        corrupt.setInteger(UInt8(0xFF), at: corrupt.writerIndex - 1)
        try socket.send(Self.produce("t", 0, corrupt), version: 11)
        #expect(Self.code(try socket.response(to: ProduceRequest.self, version: 11)) == .corruptMessage)
        try socket.send(Self.produce("t", 0, try Self.batch(1, producerId: 99, epoch: 0, sequence: 0)), version: 11)
        _ = try socket.response(to: ProduceRequest.self, version: 11)
        let violations = cluster.violations
        #expect(violations.count == 2, "\(violations)")
        #expect(violations.first?.contains("undecodable batch") == true)
        #expect(violations.last?.contains("never issued") == true)
    }

    @Test("fault hooks: an error code after appending, a close before and after applying, a late answer that holds the next one back")
    func faultHooks() throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        try cluster.createTopic("t", partitions: 2)
        let port = try #require(cluster.port(of: 1))
        cluster.inject(FakeProduceFault(topic: "t", partition: 1, error: .notEnoughReplicasAfterAppend))
        cluster.inject(FakeProduceFault(topic: "t", partition: 1, error: .notEnoughReplicas))
        let socket = try RawKafkaSocket(port: port)
        try socket.send(Self.produce("t", 1, try Self.batch(2)), version: 11)
        #expect(Self.code(try socket.response(to: ProduceRequest.self, version: 11)) == .notEnoughReplicasAfterAppend)
        try socket.send(Self.produce("t", 1, try Self.batch(2)), version: 11)
        #expect(Self.code(try socket.response(to: ProduceRequest.self, version: 11)) == .notEnoughReplicas)
        #expect(cluster.records(topic: "t", partition: 1).count == 2, "written despite the first error, not the second")

        cluster.inject(FakeConnectionFault(.closeBeforeApplying))
        try socket.send(Self.produce("t", 0, try Self.batch(1, tag: "lost")), version: 11)
        #expect(socket.readFrame(timeoutMs: 5000).failureEnd == .closed)
        #expect(cluster.records(topic: "t", partition: 0).isEmpty)

        cluster.inject(FakeConnectionFault(.closeAfterApplying))
        let second = try RawKafkaSocket(port: port)
        try second.send(Self.produce("t", 0, try Self.batch(1, tag: "applied")), version: 11)
        #expect(second.readFrame(timeoutMs: 5000).failureEnd == .closed)
        #expect(cluster.records(topic: "t", partition: 0).map { $0.value.map { String(decoding: $0, as: UTF8.self) } } == ["applied0"])

        cluster.inject(FakeConnectionFault(.delayResponse(milliseconds: 300)))
        let third = try RawKafkaSocket(port: port)
        let start = ContinuousClock.now
        let slow = try third.send(Self.produce("t", 0, try Self.batch(1)), version: 11)
        let next = try third.send(ApiVersionsRequest(), version: 0)
        let firstFrame = try third.readFrame(timeoutMs: 5000).get()
        #expect(ContinuousClock.now - start >= .milliseconds(300))
        #expect(KafkaFrame.peekCorrelationId(firstFrame) == slow)
        #expect(KafkaFrame.peekCorrelationId(try third.readFrame(timeoutMs: 5000).get()) == next)
        #expect(cluster.armedFaults == 0 && cluster.stats.faultsFired.count == 5)
    }

    @Test("leader moves and dropped connections")
    func leadersAndDrops() throws {
        let cluster = try FakeKafkaCluster(brokers: 2)
        defer { cluster.stop() }
        try cluster.createTopic("t", partitions: 1, leaders: [2])
        #expect(cluster.leader(of: "t", partition: 0) == 2)
        #expect(throws: FakeKafkaCluster.Failure.self) { try cluster.moveLeader(topic: "t", partition: 0, to: 7) }
        #expect(throws: FakeKafkaCluster.Failure.self) { try cluster.moveLeader(topic: "nope", partition: 0, to: 1) }
        try cluster.moveLeader(topic: "t", partition: 0, to: 1)
        let socket = try RawKafkaSocket(port: try #require(cluster.port(of: 1)))
        try socket.send(Self.produce("t", 0, try Self.batch(1)), version: 11)
        #expect(Self.code(try socket.response(to: ProduceRequest.self, version: 11)) == .none)
        #expect(cluster.records(topic: "t", partition: 0).first?.node == 1)
        cluster.dropConnections(node: 1)
        #expect(socket.readFrame(timeoutMs: 5000).failureEnd == .closed)
    }
}

extension Result where Failure == RawKafkaSocket.ReadEndError {
    /// How the read ended, or nil if it returned a frame.
    var failureEnd: RawKafkaSocket.ReadEnd? {
        if case .failure(let error) = self { return error.end }
        return nil
    }
}
