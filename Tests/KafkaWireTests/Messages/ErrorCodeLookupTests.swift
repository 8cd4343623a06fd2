import KafkaWire
import Testing

/// The error codes that responses carry as raw `Int16` resolve through ``KafkaErrorCode`` to Kafka's name
/// and retriable flag, directly and through the messages' `error` accessors.
@Suite("Error code lookup")
struct ErrorCodeLookupTests {
    @Test("known codes: names and retriability", arguments: [
        (Int16(0), "NONE", false),
        (6, "NOT_LEADER_OR_FOLLOWER", true),
        (10, "MESSAGE_TOO_LARGE", false),
        (46, "DUPLICATE_SEQUENCE_NUMBER", false),
        (45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false),
        (3, "UNKNOWN_TOPIC_OR_PARTITION", true),
        (7, "REQUEST_TIMED_OUT", true),
        (19, "NOT_ENOUGH_REPLICAS", true),
        (36, "TOPIC_ALREADY_EXISTS", false),
        (35, "UNSUPPORTED_VERSION", false),
        (100, "UNKNOWN_TOPIC_ID", true),
    ])
    func knownCodes(code: Int16, name: String, retriable: Bool) {
        let error = KafkaErrorCode(rawValue: code)
        #expect(error.name == name)
        #expect(error.isRetriable == retriable)
        #expect(error.description == "\(name) (\(code))")
    }

    @Test("a code Kafka does not define is named by its number and not retriable")
    func unknownCode() {
        let error = KafkaErrorCode(rawValue: 31_000)
        #expect(error.info == nil)
        #expect(error.name == "UNKNOWN_ERROR_CODE(31000)")
        #expect(!error.isRetriable)
    }

    @Test("messages expose their raw error codes as KafkaErrorCode")
    func messageAccessors() {
        let partition = ProduceResponse.PartitionProduceResponse(errorCode: 6)
        #expect(partition.error == .notLeaderOrFollower && partition.error.isRetriable)
        #expect(FetchResponse.PartitionData(errorCode: 1).error == .offsetOutOfRange)
        #expect(MetadataResponse.MetadataResponseTopic(errorCode: 3).error == .unknownTopicOrPartition)
        #expect(ListOffsetsResponse.ListOffsetsPartitionResponse(errorCode: 0).error == .none)
        #expect(CreateTopicsResponse.CreatableTopicResult(errorCode: 36).error.name == "TOPIC_ALREADY_EXISTS")
        #expect(InitProducerIdResponse(errorCode: 15).error.isRetriable)  // COORDINATOR_NOT_AVAILABLE
        #expect(SaslHandshakeResponse(errorCode: 33).error == .unsupportedSaslMechanism)
    }
}
