import KafkaWire
import NIOCore
import Testing

/// Byte-exact encodings written out by hand from the JSON schemas, field by field, in a non-flexible and
/// a flexible version: the encoder must produce exactly these bytes and the decoder must read them back
/// to the same message. Big-endian integers; compact lengths are unsigned varints of length + 1.
@Suite("Message golden bytes")
struct MessageGoldenTests {
    /// Encodes `message` in `version`, compares with `expected`, then decodes `expected`.
    static func expectGolden<Message: KafkaMessage>(
        _ message: Message, version: Int16, _ expected: [UInt8], sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let encoded = try message.encoded(version: version)
        #expect(Array(encoded.readableBytesView) == expected, "\(Message.self) v\(version) encoding", sourceLocation: sourceLocation)
        let decoded = try Message.decode(from: ByteBuffer(bytes: expected), version: version)
        #expect(decoded == message, "\(Message.self) v\(version) decoding", sourceLocation: sourceLocation)
    }

    static let topicId = KafkaUUID(mostSignificantBits: 0x0102_0304_0506_0708, leastSignificantBits: 0x090A_0B0C_0D0E_0F10)
    static let topicIdBytes: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]

    // MARK: Metadata

    @Test("Metadata request v1 (named topics, and null for all topics) and v9/v12 (flexible)")
    func metadataRequest() throws {
        try Self.expectGolden(MetadataRequest(topics: [.init(name: "a")]), version: 1, [
            0x00, 0x00, 0x00, 0x01,  // topics: int32 count 1
            0x00, 0x01, 0x61,  // name: int16 length 1, "a"
        ])
        try Self.expectGolden(MetadataRequest(topics: nil), version: 1, [
            0xFF, 0xFF, 0xFF, 0xFF,  // topics: null array (all topics)
        ])
        try Self.expectGolden(
            MetadataRequest(
                topics: [.init(name: "ab")], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true),
            version: 9,
            [
                0x02,  // topics: compact count 1 + 1
                0x03, 0x61, 0x62,  // name: compact length 2 + 1, "ab"
                0x00,  // topic tagged fields: none
                0x00,  // allow_auto_topic_creation: false
                0x01,  // include_cluster_authorized_operations (v8-10): true
                0x00,  // include_topic_authorized_operations: false
                0x00,  // tagged fields: none
            ])
        try Self.expectGolden(
            MetadataRequest(topics: [.init(topicId: Self.topicId, name: nil)], includeTopicAuthorizedOperations: true),
            version: 12,
            [0x02]  // topics: compact count 1 + 1
                + Self.topicIdBytes  // topic_id (v10+)
                + [
                    0x00,  // name: compact null
                    0x00,  // topic tagged fields
                    0x01,  // allow_auto_topic_creation: true (the default)
                    // include_cluster_authorized_operations is absent from v11 on
                    0x01,  // include_topic_authorized_operations: true
                    0x00,  // tagged fields
                ])
    }

    @Test("Metadata response v1 and v12")
    func metadataResponse() throws {
        let v1 = MetadataResponse(
            brokers: [.init(nodeId: 1, host: "h", port: 9092, rack: nil)], controllerId: 1,
            topics: [
                .init(
                    errorCode: 0, name: "t", isInternal: false,
                    partitions: [.init(errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])])
            ])
        try Self.expectGolden(v1, version: 1, [
            // throttle_time_ms is absent before v3
            0x00, 0x00, 0x00, 0x01,  // brokers: count 1
            0x00, 0x00, 0x00, 0x01,  //   node_id 1
            0x00, 0x01, 0x68,  //   host "h"
            0x00, 0x00, 0x23, 0x84,  //   port 9092
            0xFF, 0xFF,  //   rack: null (v1+)
            // cluster_id is absent before v2
            0x00, 0x00, 0x00, 0x01,  // controller_id 1 (v1+)
            0x00, 0x00, 0x00, 0x01,  // topics: count 1
            0x00, 0x00,  //   error_code 0
            0x00, 0x01, 0x74,  //   name "t"
            0x00,  //   is_internal false (v1+)
            0x00, 0x00, 0x00, 0x01,  //   partitions: count 1
            0x00, 0x00,  //     error_code 0
            0x00, 0x00, 0x00, 0x00,  //     partition_index 0
            0x00, 0x00, 0x00, 0x01,  //     leader_id 1
            // leader_epoch is absent before v7
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  //     replica_nodes [1]
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01,  //     isr_nodes [1]
            // offline_replicas (v5+), topic_authorized_operations (v8+), cluster ops (v8-10): absent
        ])
        let v12 = MetadataResponse(
            throttleTimeMs: 0, brokers: [], clusterId: "c", controllerId: -1,
            topics: [.init(errorCode: 100, name: nil, topicId: Self.topicId, isInternal: false, partitions: [])])
        try Self.expectGolden(v12, version: 12,
            [
                0x00, 0x00, 0x00, 0x00,  // throttle_time_ms 0
                0x01,  // brokers: compact count 0 + 1
                0x02, 0x63,  // cluster_id "c"
                0xFF, 0xFF, 0xFF, 0xFF,  // controller_id -1
                0x02,  // topics: compact count 1 + 1
                0x00, 0x64,  //   error_code 100 (UNKNOWN_TOPIC_ID)
                0x00,  //   name: compact null (nullable from v12)
            ] + Self.topicIdBytes + [  //   topic_id
                0x00,  //   is_internal false
                0x01,  //   partitions: compact count 0 + 1
                0x80, 0x00, 0x00, 0x00,  //   topic_authorized_operations: INT32_MIN (not requested)
                0x00,  //   topic tagged fields
                // cluster_authorized_operations is absent from v11 on
                0x00,  // tagged fields
            ])
    }

    // MARK: Produce

    @Test("Produce request v3 and v9")
    func produceRequest() throws {
        let v3 = ProduceRequest(
            transactionalId: nil, acks: -1, timeoutMs: 30_000,
            topicData: [.init(name: "t", partitionData: [.init(index: 0, records: ByteBuffer(bytes: [1, 2, 3]))])])
        try Self.expectGolden(v3, version: 3, [
            0xFF, 0xFF,  // transactional_id: null
            0xFF, 0xFF,  // acks -1
            0x00, 0x00, 0x75, 0x30,  // timeout_ms 30000
            0x00, 0x00, 0x00, 0x01,  // topic_data: count 1
            0x00, 0x01, 0x74,  //   name "t"
            0x00, 0x00, 0x00, 0x01,  //   partition_data: count 1
            0x00, 0x00, 0x00, 0x00,  //     index 0
            0x00, 0x00, 0x00, 0x03, 0x01, 0x02, 0x03,  //     records: int32 length 3, bytes
        ])
        let v9 = ProduceRequest(
            transactionalId: "x", acks: 1, timeoutMs: 1_000,
            topicData: [.init(name: "t", partitionData: [.init(index: 2, records: nil)])])
        try Self.expectGolden(v9, version: 9, [
            0x02, 0x78,  // transactional_id "x" (compact)
            0x00, 0x01,  // acks 1
            0x00, 0x00, 0x03, 0xE8,  // timeout_ms 1000
            0x02,  // topic_data: compact count 1 + 1
            0x02, 0x74,  //   name "t"
            0x02,  //   partition_data: compact count 1 + 1
            0x00, 0x00, 0x00, 0x02,  //     index 2
            0x00,  //     records: compact null
            0x00,  //     partition tagged fields
            0x00,  //   topic tagged fields
            0x00,  // tagged fields
        ])
    }

    @Test("Produce response v5, and v10 with the tagged current leader and node endpoints")
    func produceResponse() throws {
        let v5 = ProduceResponse(
            responses: [
                .init(name: "t", partitionResponses: [.init(index: 1, errorCode: 0, baseOffset: 42, logAppendTimeMs: -1, logStartOffset: 0)])
            ], throttleTimeMs: 0)
        try Self.expectGolden(v5, version: 5, [
            0x00, 0x00, 0x00, 0x01,  // responses: count 1
            0x00, 0x01, 0x74,  //   name "t"
            0x00, 0x00, 0x00, 0x01,  //   partition_responses: count 1
            0x00, 0x00, 0x00, 0x01,  //     index 1
            0x00, 0x00,  //     error_code 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2A,  //     base_offset 42
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  //     log_append_time_ms -1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  //     log_start_offset 0 (v5+)
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms 0
        ])
        let v10 = ProduceResponse(
            responses: [
                .init(
                    name: "t",
                    partitionResponses: [
                        .init(
                            index: 0, errorCode: 6, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1,
                            currentLeader: .init(leaderId: 2, leaderEpoch: 7))
                    ])
            ], throttleTimeMs: 0, nodeEndpoints: [.init(nodeId: 2, host: "b", port: 9092, rack: nil)])
        try Self.expectGolden(v10, version: 10, [
            0x02,  // responses: compact count 1 + 1
            0x02, 0x74,  //   name "t"
            0x02,  //   partition_responses: compact count 1 + 1
            0x00, 0x00, 0x00, 0x00,  //     index 0
            0x00, 0x06,  //     error_code 6 NOT_LEADER_OR_FOLLOWER
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  //     base_offset -1
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  //     log_append_time_ms -1
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  //     log_start_offset -1
            0x01,  //     record_errors: compact count 0 + 1
            0x00,  //     error_message: compact null
            0x01,  //     partition tagged fields: 1 field
            0x00, 0x09,  //       tag 0 (current_leader), size 9
            0x00, 0x00, 0x00, 0x02,  //         leader_id 2
            0x00, 0x00, 0x00, 0x07,  //         leader_epoch 7
            0x00,  //         its tagged fields
            0x00,  //   topic tagged fields
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms 0
            0x01,  // tagged fields: 1 field
            0x00, 0x0D,  //   tag 0 (node_endpoints), size 13
            0x02,  //     compact count 1 + 1
            0x00, 0x00, 0x00, 0x02,  //       node_id 2
            0x02, 0x62,  //       host "b"
            0x00, 0x00, 0x23, 0x84,  //       port 9092
            0x00,  //       rack: compact null
            0x00,  //       its tagged fields
        ])
    }

    @Test("Produce request v13 names the topic by id")
    func produceRequestTopicId() throws {
        let v13 = ProduceRequest(
            transactionalId: nil, acks: -1, timeoutMs: 1_000,
            topicData: [.init(topicId: Self.topicId, partitionData: [.init(index: 0, records: ByteBuffer(bytes: [9]))])])
        try Self.expectGolden(v13, version: 13,
            [
                0x00,  // transactional_id: compact null
                0xFF, 0xFF,  // acks -1
                0x00, 0x00, 0x03, 0xE8,  // timeout_ms 1000
                0x02,  // topic_data: compact count 1 + 1
            ] + Self.topicIdBytes + [  //   topic_id (v13+; the name is v0-12 only)
                0x02,  //   partition_data: compact count 1 + 1
                0x00, 0x00, 0x00, 0x00,  //     index 0
                0x02, 0x09,  //     records: compact length 1 + 1, one byte
                0x00,  //     partition tagged fields
                0x00,  //   topic tagged fields
                0x00,  // tagged fields
            ])
    }

    // MARK: ApiVersions

    @Test("ApiVersions request v0 and v3, response v0 and v3")
    func apiVersions() throws {
        try Self.expectGolden(ApiVersionsRequest(), version: 0, [])  // v0-2: empty body
        try Self.expectGolden(ApiVersionsRequest(clientSoftwareName: "ferry", clientSoftwareVersion: "1.0"), version: 3, [
            0x06, 0x66, 0x65, 0x72, 0x72, 0x79,  // client_software_name "ferry" (compact)
            0x04, 0x31, 0x2E, 0x30,  // client_software_version "1.0"
            0x00,  // tagged fields
        ])
        try Self.expectGolden(
            ApiVersionsResponse(errorCode: 0, apiKeys: [.init(apiKey: .produce, minVersion: 3, maxVersion: 11)]), version: 0,
            [
                0x00, 0x00,  // error_code 0
                0x00, 0x00, 0x00, 0x01,  // api_keys: count 1
                0x00, 0x00, 0x00, 0x03, 0x00, 0x0B,  //   api_key 0, min 3, max 11
                // throttle_time_ms is absent in v0
            ])
        try Self.expectGolden(
            ApiVersionsResponse(
                errorCode: 0, apiKeys: [.init(apiKey: .apiVersions, minVersion: 0, maxVersion: 4)], throttleTimeMs: 0,
                finalizedFeaturesEpoch: 5),
            version: 3,
            [
                0x00, 0x00,  // error_code 0
                0x02,  // api_keys: compact count 1 + 1
                0x00, 0x12, 0x00, 0x00, 0x00, 0x04,  //   api_key 18, min 0, max 4
                0x00,  //   entry tagged fields
                0x00, 0x00, 0x00, 0x00,  // throttle_time_ms 0
                0x01,  // tagged fields: 1 field
                0x01, 0x08,  //   tag 1 (finalized_features_epoch), size 8
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  //   epoch 5
            ])
    }

    // MARK: InitProducerId

    @Test("InitProducerId request v0, v4 and v6, response v0, v2 and v6")
    func initProducerId() throws {
        try Self.expectGolden(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 0, [
            0xFF, 0xFF,  // transactional_id: null
            0x00, 0x00, 0xEA, 0x60,  // transaction_timeout_ms 60000
        ])
        try Self.expectGolden(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 4, [
            0x00,  // transactional_id: compact null
            0x00, 0x00, 0xEA, 0x60,  // transaction_timeout_ms 60000
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // producer_id -1 (v3+)
            0xFF, 0xFF,  // producer_epoch -1 (v3+)
            0x00,  // tagged fields
        ])
        let response = InitProducerIdResponse(throttleTimeMs: 0, errorCode: 0, producerId: 1_000, producerEpoch: 0)
        let body: [UInt8] = [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms 0
            0x00, 0x00,  // error_code 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0xE8,  // producer_id 1000
            0x00, 0x00,  // producer_epoch 0
        ]
        try Self.expectGolden(response, version: 0, body)
        try Self.expectGolden(response, version: 2, body + [0x00])  // + tagged fields
        try Self.expectGolden(InitProducerIdRequest(transactionalId: "t", transactionTimeoutMs: 1, enable2Pc: true), version: 6, [
            0x02, 0x74,  // transactional_id "t" (compact)
            0x00, 0x00, 0x00, 0x01,  // transaction_timeout_ms 1
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // producer_id -1
            0xFF, 0xFF,  // producer_epoch -1
            0x01,  // enable2_pc true (v6+)
            0x00,  // keep_prepared_txn false (v6+)
            0x00,  // tagged fields
        ])
        try Self.expectGolden(
            InitProducerIdResponse(throttleTimeMs: 0, errorCode: 0, producerId: 1_000, producerEpoch: 0), version: 6,
            body + [
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,  // ongoing_txn_producer_id -1 (v6+)
                0xFF, 0xFF,  // ongoing_txn_producer_epoch -1 (v6+)
                0x00,  // tagged fields
            ])
    }

    // MARK: Fetch

    @Test("Fetch request v4 and response v4, as the verification tools use them")
    func fetch() throws {
        let request = FetchRequest(
            replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 0x7FFF_FFFF, isolationLevel: 0,
            topics: [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 5, partitionMaxBytes: 1 << 20)])])
        try Self.expectGolden(request, version: 4, [
            0xFF, 0xFF, 0xFF, 0xFF,  // replica_id -1
            0x00, 0x00, 0x01, 0xF4,  // max_wait_ms 500
            0x00, 0x00, 0x00, 0x01,  // min_bytes 1
            0x7F, 0xFF, 0xFF, 0xFF,  // max_bytes (v3+)
            0x00,  // isolation_level (v4+)
            0x00, 0x00, 0x00, 0x01,  // topics: count 1
            0x00, 0x01, 0x74,  //   topic "t"
            0x00, 0x00, 0x00, 0x01,  //   partitions: count 1
            0x00, 0x00, 0x00, 0x00,  //     partition 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  //     fetch_offset 5
            0x00, 0x10, 0x00, 0x00,  //     partition_max_bytes 1 MiB
            // session fields (v7+), leader epoch (v9+), log start offset (v5+), rack (v11+): absent
        ])
        let response = FetchResponse(
            throttleTimeMs: 0,
            responses: [
                .init(
                    topic: "t",
                    partitions: [
                        .init(
                            partitionIndex: 0, errorCode: 0, highWatermark: 6, lastStableOffset: 6, abortedTransactions: nil,
                            records: ByteBuffer(bytes: [0xAA]))
                    ])
            ])
        try Self.expectGolden(response, version: 4, [
            0x00, 0x00, 0x00, 0x00,  // throttle_time_ms
            0x00, 0x00, 0x00, 0x01,  // responses: count 1
            0x00, 0x01, 0x74,  //   topic "t"
            0x00, 0x00, 0x00, 0x01,  //   partitions: count 1
            0x00, 0x00, 0x00, 0x00,  //     partition_index 0
            0x00, 0x00,  //     error_code 0
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,  //     high_watermark 6
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06,  //     last_stable_offset 6 (v4+)
            0xFF, 0xFF, 0xFF, 0xFF,  //     aborted_transactions: null
            0x00, 0x00, 0x00, 0x01, 0xAA,  //     records: 1 byte
        ])
    }
}
