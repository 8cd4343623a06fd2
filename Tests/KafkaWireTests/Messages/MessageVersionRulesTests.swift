import KafkaWire
import NIOCore
import Testing

/// What a version cannot carry is refused with `notRepresentable` (leaving the buffer untouched); fields
/// absent from a version are not written and decode to their defaults; versions outside the supported
/// range are refused; each message states the version ranges the brief and the schemas call for.
@Suite("Message version rules")
struct MessageVersionRulesTests {
    static func expectCode(
        _ code: KafkaWireError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
    ) {
        #expect(sourceLocation: sourceLocation) { try body() } throws: { ($0 as? KafkaWireError)?.code == code }
    }

    @Test("a null topic name is refused where the version has no nullable name, and the buffer is left as it was")
    func nullWhereNotNullable() throws {
        var buffer = ByteBuffer(bytes: [0xAB])
        let request = MetadataRequest(topics: [.init(name: nil)])
        Self.expectCode(.notRepresentable) { try request.encode(into: &buffer, version: 9) }
        #expect(Array(buffer.readableBytesView) == [0xAB])
        try request.encode(into: &buffer, version: 10)  // nullable from v10
        #expect(buffer.readableBytes > 1)

        let response = MetadataResponse(topics: [.init(name: nil)])
        Self.expectCode(.notRepresentable) { _ = try response.encoded(version: 11) }
        _ = try response.encoded(version: 12)
    }

    @Test("Produce v13 names topics by id and refuses a zero id; v12 still names them")
    func produceTopicIds() throws {
        let byName = ProduceRequest(topicData: [.init(name: "logs", partitionData: [.init(index: 0, records: nil)])])
        Self.expectCode(.notRepresentable) { _ = try byName.encoded(version: 13) }
        _ = try byName.encoded(version: 12)
        let id = KafkaUUID(mostSignificantBits: 7, leastSignificantBits: 9)
        let byId = ProduceRequest(topicData: [.init(topicId: id, partitionData: [.init(index: 0, records: nil)])])
        let decoded = try ProduceRequest.decode(from: try byId.encoded(version: 13), version: 13)
        #expect(decoded.topicData.first?.topicId == id && decoded.topicData.first?.name == "")
        #expect(ProduceRequest.firstTopicIdVersion == 13)
    }

    @Test("unknown tagged fields are refused in a version that is not flexible, and a tag may not appear twice")
    func taggedFieldRules() throws {
        let unknown = [KafkaTaggedField(tag: 500, data: [1])]
        Self.expectCode(.notRepresentable) { _ = try ProduceRequest(unknownTaggedFields: unknown).encoded(version: 8) }
        _ = try ProduceRequest(unknownTaggedFields: unknown).encoded(version: 9)
        Self.expectCode(.notRepresentable) {
            _ = try ProduceResponse(
                responses: [.init(name: "t", partitionResponses: [.init(unknownTaggedFields: unknown)])]
            ).encoded(version: 5)
        }
        // Tag 0 of a v10 partition is current_leader: the same tag among the unknown fields is a conflict.
        let clash = ProduceResponse(
            responses: [
                .init(
                    name: "t",
                    partitionResponses: [
                        .init(currentLeader: .init(leaderId: 1, leaderEpoch: 1), unknownTaggedFields: [.init(tag: 0, data: [])])
                    ])
            ])
        Self.expectCode(.notRepresentable) { _ = try clash.encoded(version: 10) }
    }

    @Test("fields absent from a version are not written and decode to their schema defaults")
    func absentFieldsKeepDefaults() throws {
        let partition = ProduceResponse.PartitionProduceResponse(
            index: 1, errorCode: 0, baseOffset: 9, logAppendTimeMs: 5, logStartOffset: 77,
            recordErrors: [.init(batchIndex: 3, batchIndexErrorMessage: "bad")], errorMessage: "why",
            currentLeader: .init(leaderId: 4, leaderEpoch: 2))
        let response = ProduceResponse(responses: [.init(name: "t", partitionResponses: [partition])], throttleTimeMs: 1)
        let v3 = try ProduceResponse.decode(from: try response.encoded(version: 3), version: 3)
        let back = try #require(v3.responses.first?.partitionResponses.first)
        #expect(back.logStartOffset == -1)  // v5+
        #expect(back.recordErrors.isEmpty)  // v8+
        #expect(back.errorMessage == nil)  // v8+
        #expect(back.currentLeader == .init())  // v10+
        #expect(back.baseOffset == 9 && back.logAppendTimeMs == 5)

        let metadata = MetadataRequest(topics: [], allowAutoTopicCreation: false)
        let v3Metadata = try MetadataRequest.decode(from: try metadata.encoded(version: 3), version: 3)
        #expect(v3Metadata.allowAutoTopicCreation)  // v4+; earlier versions always allow it

        let fetch = FetchRequest(replicaId: 3, replicaState: .init(replicaId: 3, replicaEpoch: 8), rackId: "r")
        let v15 = try FetchRequest.decode(from: try fetch.encoded(version: 15), version: 15)
        #expect(v15.replicaId == -1)  // v4-14 only
        #expect(v15.replicaState == .init(replicaId: 3, replicaEpoch: 8))  // tag 1 from v15
        let v14 = try FetchRequest.decode(from: try fetch.encoded(version: 14), version: 14)
        #expect(v14.replicaId == 3 && v14.replicaState == .init() && v14.rackId == "r")
    }

    @Test("known tagged fields equal to their defaults are not written")
    func defaultTaggedFieldsOmitted() throws {
        let plain = FetchResponse(responses: [.init(topicId: .zero, partitions: [.init(partitionIndex: 1)])])
        let withLeader = FetchResponse(
            responses: [.init(topicId: .zero, partitions: [.init(partitionIndex: 1, currentLeader: .init(leaderId: 2, leaderEpoch: 3))])])
        let plainBytes = try plain.encoded(version: 13)
        let leaderBytes = try withLeader.encoded(version: 13)
        // Tag 1: one byte tag, one byte size, then leader id, epoch and an empty tagged section (9 bytes).
        #expect(leaderBytes.readableBytes - plainBytes.readableBytes == 2 + 9)
        #expect(try FetchResponse.decode(from: leaderBytes, version: 13) == withLeader)
    }

    @Test("versions outside the supported range are refused when encoding and decoding")
    func unsupportedVersions() throws {
        Self.expectCode(.unsupportedVersion) { _ = try ProduceRequest().encoded(version: 2) }
        Self.expectCode(.unsupportedVersion) { _ = try ProduceRequest().encoded(version: 14) }
        Self.expectCode(.unsupportedVersion) { _ = try FetchResponse.decode(from: ByteBuffer(), version: 3) }
        Self.expectCode(.unsupportedVersion) { _ = try MetadataRequest().encoded(version: 0) }
        var buffer = ByteBuffer()
        Self.expectCode(.unsupportedVersion) {
            try KafkaFrame.encodeRequest(FetchRequest(), version: 19, correlationId: 1, clientId: nil, into: &buffer)
        }
        #expect(buffer.readableBytes == 0)
    }

    @Test("supported version ranges and first flexible versions match the schemas")
    func versionTable() {
        func row<M: KafkaMessage>(_ type: M.Type) -> String {
            "\(M.apiKey.name) \(M.supportedVersions.lowerBound)-\(M.supportedVersions.upperBound) flexible \(M.firstFlexibleVersion.map(String.init) ?? "none")"
        }
        #expect(row(ApiVersionsRequest.self) == "ApiVersions 0-4 flexible 3")
        #expect(row(MetadataRequest.self) == "Metadata 1-13 flexible 9")
        #expect(row(ProduceRequest.self) == "Produce 3-13 flexible 9")
        #expect(row(InitProducerIdRequest.self) == "InitProducerId 0-6 flexible 2")
        #expect(row(SaslHandshakeRequest.self) == "SaslHandshake 0-1 flexible none")
        #expect(row(SaslAuthenticateRequest.self) == "SaslAuthenticate 0-2 flexible 2")
        #expect(row(CreateTopicsRequest.self) == "CreateTopics 0-7 flexible 5")
        #expect(row(ListOffsetsRequest.self) == "ListOffsets 1-11 flexible 6")
        #expect(row(FetchRequest.self) == "Fetch 4-18 flexible 12")
        // Each response covers exactly its request's versions.
        #expect(MetadataResponse.supportedVersions == MetadataRequest.supportedVersions)
        #expect(ProduceResponse.supportedVersions == ProduceRequest.supportedVersions)
        #expect(InitProducerIdResponse.supportedVersions == InitProducerIdRequest.supportedVersions)
        #expect(SaslHandshakeResponse.supportedVersions == SaslHandshakeRequest.supportedVersions)
        #expect(SaslAuthenticateResponse.supportedVersions == SaslAuthenticateRequest.supportedVersions)
        #expect(CreateTopicsResponse.supportedVersions == CreateTopicsRequest.supportedVersions)
        #expect(ListOffsetsResponse.supportedVersions == ListOffsetsRequest.supportedVersions)
        #expect(FetchResponse.supportedVersions == FetchRequest.supportedVersions)
        #expect(ApiVersionsResponse.supportedVersions == ApiVersionsRequest.supportedVersions)
    }

    @Test("a 1 MiB records buffer is written once, byte for byte, and decodes as a slice of the frame")
    func largeRecords() throws {
        var records = ByteBuffer()
        for index in 0..<(1 << 20) { records.writeInteger(UInt8(truncatingIfNeeded: index &* 31)) }
        let request = ProduceRequest(acks: -1, timeoutMs: 30_000, topicData: [.init(name: "logs", partitionData: [.init(index: 3, records: records)])])
        for version in [Int16(3), 9, 11] {
            let encoded = try request.encoded(version: version)
            let decoded = try ProduceRequest.decode(from: encoded, version: version)
            let slice = try #require(decoded.topicData.first?.partitionData.first?.records)
            #expect(slice == records)
            #expect(slice.readableBytes == 1 << 20)
        }
    }
}
