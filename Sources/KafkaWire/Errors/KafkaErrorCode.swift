/// A Kafka protocol error code, as carried in responses. The table below lists every code Apache Kafka
/// defines (`org.apache.kafka.common.protocol.Errors`), with its name, whether a client may retry the
/// request that got it (the exception extends `RetriableException`), and its description.
public struct KafkaErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The code on the wire.
    public var rawValue: Int16
    /// Makes a code; codes missing from the table are allowed and treated as not retriable.
    public init(rawValue: Int16) { self.rawValue = rawValue }

    /// One row of the table.
    public struct Info: Sendable {
        /// Kafka's name, e.g. `NOT_LEADER_OR_FOLLOWER`.
        public let name: String
        /// Whether the failed request may be retried as it is.
        public let retriable: Bool
        /// Kafka's description of the error.
        public let message: String
    }

    /// The row for this code, or `nil` for a code that Kafka does not define.
    public var info: Info? { Self.table[rawValue] }
    /// Kafka's name, or `UNKNOWN_ERROR_CODE(n)`.
    public var name: String { info?.name ?? "UNKNOWN_ERROR_CODE(\(rawValue))" }
    /// Whether a request that got this error may be retried.
    public var isRetriable: Bool { info?.retriable ?? false }
    /// `NAME (code)`.
    public var description: String { "\(name) (\(rawValue))" }

    /// UNKNOWN_SERVER_ERROR (-1).
    public static let unknownServerError = KafkaErrorCode(rawValue: -1)
    /// NONE (0).
    public static let none = KafkaErrorCode(rawValue: 0)
    /// OFFSET_OUT_OF_RANGE (1).
    public static let offsetOutOfRange = KafkaErrorCode(rawValue: 1)
    /// CORRUPT_MESSAGE (2).
    public static let corruptMessage = KafkaErrorCode(rawValue: 2)
    /// UNKNOWN_TOPIC_OR_PARTITION (3).
    public static let unknownTopicOrPartition = KafkaErrorCode(rawValue: 3)
    /// INVALID_FETCH_SIZE (4).
    public static let invalidFetchSize = KafkaErrorCode(rawValue: 4)
    /// LEADER_NOT_AVAILABLE (5).
    public static let leaderNotAvailable = KafkaErrorCode(rawValue: 5)
    /// NOT_LEADER_OR_FOLLOWER (6).
    public static let notLeaderOrFollower = KafkaErrorCode(rawValue: 6)
    /// REQUEST_TIMED_OUT (7).
    public static let requestTimedOut = KafkaErrorCode(rawValue: 7)
    /// BROKER_NOT_AVAILABLE (8).
    public static let brokerNotAvailable = KafkaErrorCode(rawValue: 8)
    /// REPLICA_NOT_AVAILABLE (9).
    public static let replicaNotAvailable = KafkaErrorCode(rawValue: 9)
    /// MESSAGE_TOO_LARGE (10).
    public static let messageTooLarge = KafkaErrorCode(rawValue: 10)
    /// STALE_CONTROLLER_EPOCH (11).
    public static let staleControllerEpoch = KafkaErrorCode(rawValue: 11)
    /// OFFSET_METADATA_TOO_LARGE (12).
    public static let offsetMetadataTooLarge = KafkaErrorCode(rawValue: 12)
    /// NETWORK_EXCEPTION (13).
    public static let networkException = KafkaErrorCode(rawValue: 13)
    /// COORDINATOR_LOAD_IN_PROGRESS (14).
    public static let coordinatorLoadInProgress = KafkaErrorCode(rawValue: 14)
    /// COORDINATOR_NOT_AVAILABLE (15).
    public static let coordinatorNotAvailable = KafkaErrorCode(rawValue: 15)
    /// NOT_COORDINATOR (16).
    public static let notCoordinator = KafkaErrorCode(rawValue: 16)
    /// INVALID_TOPIC_EXCEPTION (17).
    public static let invalidTopicException = KafkaErrorCode(rawValue: 17)
    /// RECORD_LIST_TOO_LARGE (18).
    public static let recordListTooLarge = KafkaErrorCode(rawValue: 18)
    /// NOT_ENOUGH_REPLICAS (19).
    public static let notEnoughReplicas = KafkaErrorCode(rawValue: 19)
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND (20).
    public static let notEnoughReplicasAfterAppend = KafkaErrorCode(rawValue: 20)
    /// INVALID_REQUIRED_ACKS (21).
    public static let invalidRequiredAcks = KafkaErrorCode(rawValue: 21)
    /// ILLEGAL_GENERATION (22).
    public static let illegalGeneration = KafkaErrorCode(rawValue: 22)
    /// INCONSISTENT_GROUP_PROTOCOL (23).
    public static let inconsistentGroupProtocol = KafkaErrorCode(rawValue: 23)
    /// INVALID_GROUP_ID (24).
    public static let invalidGroupId = KafkaErrorCode(rawValue: 24)
    /// UNKNOWN_MEMBER_ID (25).
    public static let unknownMemberId = KafkaErrorCode(rawValue: 25)
    /// INVALID_SESSION_TIMEOUT (26).
    public static let invalidSessionTimeout = KafkaErrorCode(rawValue: 26)
    /// REBALANCE_IN_PROGRESS (27).
    public static let rebalanceInProgress = KafkaErrorCode(rawValue: 27)
    /// INVALID_COMMIT_OFFSET_SIZE (28).
    public static let invalidCommitOffsetSize = KafkaErrorCode(rawValue: 28)
    /// TOPIC_AUTHORIZATION_FAILED (29).
    public static let topicAuthorizationFailed = KafkaErrorCode(rawValue: 29)
    /// GROUP_AUTHORIZATION_FAILED (30).
    public static let groupAuthorizationFailed = KafkaErrorCode(rawValue: 30)
    /// CLUSTER_AUTHORIZATION_FAILED (31).
    public static let clusterAuthorizationFailed = KafkaErrorCode(rawValue: 31)
    /// INVALID_TIMESTAMP (32).
    public static let invalidTimestamp = KafkaErrorCode(rawValue: 32)
    /// UNSUPPORTED_SASL_MECHANISM (33).
    public static let unsupportedSaslMechanism = KafkaErrorCode(rawValue: 33)
    /// ILLEGAL_SASL_STATE (34).
    public static let illegalSaslState = KafkaErrorCode(rawValue: 34)
    /// UNSUPPORTED_VERSION (35).
    public static let unsupportedVersion = KafkaErrorCode(rawValue: 35)
    /// TOPIC_ALREADY_EXISTS (36).
    public static let topicAlreadyExists = KafkaErrorCode(rawValue: 36)
    /// INVALID_PARTITIONS (37).
    public static let invalidPartitions = KafkaErrorCode(rawValue: 37)
    /// INVALID_REPLICATION_FACTOR (38).
    public static let invalidReplicationFactor = KafkaErrorCode(rawValue: 38)
    /// INVALID_REPLICA_ASSIGNMENT (39).
    public static let invalidReplicaAssignment = KafkaErrorCode(rawValue: 39)
    /// INVALID_CONFIG (40).
    public static let invalidConfig = KafkaErrorCode(rawValue: 40)
    /// NOT_CONTROLLER (41).
    public static let notController = KafkaErrorCode(rawValue: 41)
    /// INVALID_REQUEST (42).
    public static let invalidRequest = KafkaErrorCode(rawValue: 42)
    /// UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
    public static let unsupportedForMessageFormat = KafkaErrorCode(rawValue: 43)
    /// POLICY_VIOLATION (44).
    public static let policyViolation = KafkaErrorCode(rawValue: 44)
    /// OUT_OF_ORDER_SEQUENCE_NUMBER (45).
    public static let outOfOrderSequenceNumber = KafkaErrorCode(rawValue: 45)
    /// DUPLICATE_SEQUENCE_NUMBER (46).
    public static let duplicateSequenceNumber = KafkaErrorCode(rawValue: 46)
    /// INVALID_PRODUCER_EPOCH (47).
    public static let invalidProducerEpoch = KafkaErrorCode(rawValue: 47)
    /// INVALID_TXN_STATE (48).
    public static let invalidTxnState = KafkaErrorCode(rawValue: 48)
    /// INVALID_PRODUCER_ID_MAPPING (49).
    public static let invalidProducerIdMapping = KafkaErrorCode(rawValue: 49)
    /// INVALID_TRANSACTION_TIMEOUT (50).
    public static let invalidTransactionTimeout = KafkaErrorCode(rawValue: 50)
    /// CONCURRENT_TRANSACTIONS (51).
    public static let concurrentTransactions = KafkaErrorCode(rawValue: 51)
    /// TRANSACTION_COORDINATOR_FENCED (52).
    public static let transactionCoordinatorFenced = KafkaErrorCode(rawValue: 52)
    /// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (53).
    public static let transactionalIdAuthorizationFailed = KafkaErrorCode(rawValue: 53)
    /// SECURITY_DISABLED (54).
    public static let securityDisabled = KafkaErrorCode(rawValue: 54)
    /// OPERATION_NOT_ATTEMPTED (55).
    public static let operationNotAttempted = KafkaErrorCode(rawValue: 55)
    /// KAFKA_STORAGE_ERROR (56).
    public static let kafkaStorageError = KafkaErrorCode(rawValue: 56)
    /// LOG_DIR_NOT_FOUND (57).
    public static let logDirNotFound = KafkaErrorCode(rawValue: 57)
    /// SASL_AUTHENTICATION_FAILED (58).
    public static let saslAuthenticationFailed = KafkaErrorCode(rawValue: 58)
    /// UNKNOWN_PRODUCER_ID (59).
    public static let unknownProducerId = KafkaErrorCode(rawValue: 59)
    /// REASSIGNMENT_IN_PROGRESS (60).
    public static let reassignmentInProgress = KafkaErrorCode(rawValue: 60)
    /// DELEGATION_TOKEN_AUTH_DISABLED (61).
    public static let delegationTokenAuthDisabled = KafkaErrorCode(rawValue: 61)
    /// DELEGATION_TOKEN_NOT_FOUND (62).
    public static let delegationTokenNotFound = KafkaErrorCode(rawValue: 62)
    /// DELEGATION_TOKEN_OWNER_MISMATCH (63).
    public static let delegationTokenOwnerMismatch = KafkaErrorCode(rawValue: 63)
    /// DELEGATION_TOKEN_REQUEST_NOT_ALLOWED (64).
    public static let delegationTokenRequestNotAllowed = KafkaErrorCode(rawValue: 64)
    /// DELEGATION_TOKEN_AUTHORIZATION_FAILED (65).
    public static let delegationTokenAuthorizationFailed = KafkaErrorCode(rawValue: 65)
    /// DELEGATION_TOKEN_EXPIRED (66).
    public static let delegationTokenExpired = KafkaErrorCode(rawValue: 66)
    /// INVALID_PRINCIPAL_TYPE (67).
    public static let invalidPrincipalType = KafkaErrorCode(rawValue: 67)
    /// NON_EMPTY_GROUP (68).
    public static let nonEmptyGroup = KafkaErrorCode(rawValue: 68)
    /// GROUP_ID_NOT_FOUND (69).
    public static let groupIdNotFound = KafkaErrorCode(rawValue: 69)
    /// FETCH_SESSION_ID_NOT_FOUND (70).
    public static let fetchSessionIdNotFound = KafkaErrorCode(rawValue: 70)
    /// INVALID_FETCH_SESSION_EPOCH (71).
    public static let invalidFetchSessionEpoch = KafkaErrorCode(rawValue: 71)
    /// LISTENER_NOT_FOUND (72).
    public static let listenerNotFound = KafkaErrorCode(rawValue: 72)
    /// TOPIC_DELETION_DISABLED (73).
    public static let topicDeletionDisabled = KafkaErrorCode(rawValue: 73)
    /// FENCED_LEADER_EPOCH (74).
    public static let fencedLeaderEpoch = KafkaErrorCode(rawValue: 74)
    /// UNKNOWN_LEADER_EPOCH (75).
    public static let unknownLeaderEpoch = KafkaErrorCode(rawValue: 75)
    /// UNSUPPORTED_COMPRESSION_TYPE (76).
    public static let unsupportedCompressionType = KafkaErrorCode(rawValue: 76)
    /// STALE_BROKER_EPOCH (77).
    public static let staleBrokerEpoch = KafkaErrorCode(rawValue: 77)
    /// OFFSET_NOT_AVAILABLE (78).
    public static let offsetNotAvailable = KafkaErrorCode(rawValue: 78)
    /// MEMBER_ID_REQUIRED (79).
    public static let memberIdRequired = KafkaErrorCode(rawValue: 79)
    /// PREFERRED_LEADER_NOT_AVAILABLE (80).
    public static let preferredLeaderNotAvailable = KafkaErrorCode(rawValue: 80)
    /// GROUP_MAX_SIZE_REACHED (81).
    public static let groupMaxSizeReached = KafkaErrorCode(rawValue: 81)
    /// FENCED_INSTANCE_ID (82).
    public static let fencedInstanceId = KafkaErrorCode(rawValue: 82)
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE (83).
    public static let eligibleLeadersNotAvailable = KafkaErrorCode(rawValue: 83)
    /// ELECTION_NOT_NEEDED (84).
    public static let electionNotNeeded = KafkaErrorCode(rawValue: 84)
    /// NO_REASSIGNMENT_IN_PROGRESS (85).
    public static let noReassignmentInProgress = KafkaErrorCode(rawValue: 85)
    /// GROUP_SUBSCRIBED_TO_TOPIC (86).
    public static let groupSubscribedToTopic = KafkaErrorCode(rawValue: 86)
    /// INVALID_RECORD (87).
    public static let invalidRecord = KafkaErrorCode(rawValue: 87)
    /// UNSTABLE_OFFSET_COMMIT (88).
    public static let unstableOffsetCommit = KafkaErrorCode(rawValue: 88)
    /// THROTTLING_QUOTA_EXCEEDED (89).
    public static let throttlingQuotaExceeded = KafkaErrorCode(rawValue: 89)
    /// PRODUCER_FENCED (90).
    public static let producerFenced = KafkaErrorCode(rawValue: 90)
    /// RESOURCE_NOT_FOUND (91).
    public static let resourceNotFound = KafkaErrorCode(rawValue: 91)
    /// DUPLICATE_RESOURCE (92).
    public static let duplicateResource = KafkaErrorCode(rawValue: 92)
    /// UNACCEPTABLE_CREDENTIAL (93).
    public static let unacceptableCredential = KafkaErrorCode(rawValue: 93)
    /// INCONSISTENT_VOTER_SET (94).
    public static let inconsistentVoterSet = KafkaErrorCode(rawValue: 94)
    /// INVALID_UPDATE_VERSION (95).
    public static let invalidUpdateVersion = KafkaErrorCode(rawValue: 95)
    /// FEATURE_UPDATE_FAILED (96).
    public static let featureUpdateFailed = KafkaErrorCode(rawValue: 96)
    /// PRINCIPAL_DESERIALIZATION_FAILURE (97).
    public static let principalDeserializationFailure = KafkaErrorCode(rawValue: 97)
    /// SNAPSHOT_NOT_FOUND (98).
    public static let snapshotNotFound = KafkaErrorCode(rawValue: 98)
    /// POSITION_OUT_OF_RANGE (99).
    public static let positionOutOfRange = KafkaErrorCode(rawValue: 99)
    /// UNKNOWN_TOPIC_ID (100).
    public static let unknownTopicId = KafkaErrorCode(rawValue: 100)
    /// DUPLICATE_BROKER_REGISTRATION (101).
    public static let duplicateBrokerRegistration = KafkaErrorCode(rawValue: 101)
    /// BROKER_ID_NOT_REGISTERED (102).
    public static let brokerIdNotRegistered = KafkaErrorCode(rawValue: 102)
    /// INCONSISTENT_TOPIC_ID (103).
    public static let inconsistentTopicId = KafkaErrorCode(rawValue: 103)
    /// INCONSISTENT_CLUSTER_ID (104).
    public static let inconsistentClusterId = KafkaErrorCode(rawValue: 104)
    /// TRANSACTIONAL_ID_NOT_FOUND (105).
    public static let transactionalIdNotFound = KafkaErrorCode(rawValue: 105)
    /// FETCH_SESSION_TOPIC_ID_ERROR (106).
    public static let fetchSessionTopicIdError = KafkaErrorCode(rawValue: 106)
    /// INELIGIBLE_REPLICA (107).
    public static let ineligibleReplica = KafkaErrorCode(rawValue: 107)
    /// NEW_LEADER_ELECTED (108).
    public static let newLeaderElected = KafkaErrorCode(rawValue: 108)
    /// OFFSET_MOVED_TO_TIERED_STORAGE (109).
    public static let offsetMovedToTieredStorage = KafkaErrorCode(rawValue: 109)
    /// FENCED_MEMBER_EPOCH (110).
    public static let fencedMemberEpoch = KafkaErrorCode(rawValue: 110)
    /// UNRELEASED_INSTANCE_ID (111).
    public static let unreleasedInstanceId = KafkaErrorCode(rawValue: 111)
    /// UNSUPPORTED_ASSIGNOR (112).
    public static let unsupportedAssignor = KafkaErrorCode(rawValue: 112)
    /// STALE_MEMBER_EPOCH (113).
    public static let staleMemberEpoch = KafkaErrorCode(rawValue: 113)
    /// MISMATCHED_ENDPOINT_TYPE (114).
    public static let mismatchedEndpointType = KafkaErrorCode(rawValue: 114)
    /// UNSUPPORTED_ENDPOINT_TYPE (115).
    public static let unsupportedEndpointType = KafkaErrorCode(rawValue: 115)
    /// UNKNOWN_CONTROLLER_ID (116).
    public static let unknownControllerId = KafkaErrorCode(rawValue: 116)
    /// UNKNOWN_SUBSCRIPTION_ID (117).
    public static let unknownSubscriptionId = KafkaErrorCode(rawValue: 117)
    /// TELEMETRY_TOO_LARGE (118).
    public static let telemetryTooLarge = KafkaErrorCode(rawValue: 118)
    /// INVALID_REGISTRATION (119).
    public static let invalidRegistration = KafkaErrorCode(rawValue: 119)
    /// TRANSACTION_ABORTABLE (120).
    public static let transactionAbortable = KafkaErrorCode(rawValue: 120)
    /// INVALID_RECORD_STATE (121).
    public static let invalidRecordState = KafkaErrorCode(rawValue: 121)
    /// SHARE_SESSION_NOT_FOUND (122).
    public static let shareSessionNotFound = KafkaErrorCode(rawValue: 122)
    /// INVALID_SHARE_SESSION_EPOCH (123).
    public static let invalidShareSessionEpoch = KafkaErrorCode(rawValue: 123)
    /// FENCED_STATE_EPOCH (124).
    public static let fencedStateEpoch = KafkaErrorCode(rawValue: 124)
    /// INVALID_VOTER_KEY (125).
    public static let invalidVoterKey = KafkaErrorCode(rawValue: 125)
    /// DUPLICATE_VOTER (126).
    public static let duplicateVoter = KafkaErrorCode(rawValue: 126)
    /// VOTER_NOT_FOUND (127).
    public static let voterNotFound = KafkaErrorCode(rawValue: 127)
    /// INVALID_REGULAR_EXPRESSION (128).
    public static let invalidRegularExpression = KafkaErrorCode(rawValue: 128)
    /// REBOOTSTRAP_REQUIRED (129).
    public static let rebootstrapRequired = KafkaErrorCode(rawValue: 129)
    /// STREAMS_INVALID_TOPOLOGY (130).
    public static let streamsInvalidTopology = KafkaErrorCode(rawValue: 130)
    /// STREAMS_INVALID_TOPOLOGY_EPOCH (131).
    public static let streamsInvalidTopologyEpoch = KafkaErrorCode(rawValue: 131)
    /// STREAMS_TOPOLOGY_FENCED (132).
    public static let streamsTopologyFenced = KafkaErrorCode(rawValue: 132)
    /// SHARE_SESSION_LIMIT_REACHED (133).
    public static let shareSessionLimitReached = KafkaErrorCode(rawValue: 133)

    /// Every defined code: (code, name, retriable, description).
    public static let all: [(code: Int16, name: String, retriable: Bool, message: String)] = [
        (-1, "UNKNOWN_SERVER_ERROR", false, "The server experienced an unexpected error when processing the request."),
        (0, "NONE", false, "No error."),
        (1, "OFFSET_OUT_OF_RANGE", false, "The requested offset is not within the range of offsets maintained by the server."),
        (2, "CORRUPT_MESSAGE", true, "This message has failed its CRC checksum, exceeds the valid size, has a null key for a compacted topic, or is otherwise corrupt."),
        (3, "UNKNOWN_TOPIC_OR_PARTITION", true, "This server does not host this topic-partition."),
        (4, "INVALID_FETCH_SIZE", false, "The requested fetch size is invalid."),
        (5, "LEADER_NOT_AVAILABLE", true, "There is no leader for this topic-partition as we are in the middle of a leadership election."),
        (6, "NOT_LEADER_OR_FOLLOWER", true, "For requests intended only for the leader, this error indicates that the broker is not the current leader."),
        (7, "REQUEST_TIMED_OUT", true, "The request timed out."),
        (8, "BROKER_NOT_AVAILABLE", false, "The broker is not available."),
        (9, "REPLICA_NOT_AVAILABLE", true, "The replica is not available for the requested topic-partition."),
        (10, "MESSAGE_TOO_LARGE", false, "The request included a message larger than the max message size the server will accept."),
        (11, "STALE_CONTROLLER_EPOCH", false, "The controller moved to another broker."),
        (12, "OFFSET_METADATA_TOO_LARGE", false, "The metadata field of the offset request was too large."),
        (13, "NETWORK_EXCEPTION", true, "The server disconnected before a response was received."),
        (14, "COORDINATOR_LOAD_IN_PROGRESS", true, "The coordinator is loading and hence can't process requests."),
        (15, "COORDINATOR_NOT_AVAILABLE", true, "The coordinator is not available."),
        (16, "NOT_COORDINATOR", true, "This is not the correct coordinator."),
        (17, "INVALID_TOPIC_EXCEPTION", false, "The request attempted to perform an operation on an invalid topic."),
        (18, "RECORD_LIST_TOO_LARGE", false, "The request included message batch larger than the configured segment size on the server."),
        (19, "NOT_ENOUGH_REPLICAS", true, "Messages are rejected since there are fewer in-sync replicas than required."),
        (20, "NOT_ENOUGH_REPLICAS_AFTER_APPEND", true, "Messages are written to the log, but to fewer in-sync replicas than required."),
        (21, "INVALID_REQUIRED_ACKS", false, "Produce request specified an invalid value for required acks."),
        (22, "ILLEGAL_GENERATION", false, "Specified group generation id is not valid."),
        (23, "INCONSISTENT_GROUP_PROTOCOL", false, "The group member's supported protocols are incompatible with those of existing members."),
        (24, "INVALID_GROUP_ID", false, "The configured groupId is invalid."),
        (25, "UNKNOWN_MEMBER_ID", false, "The coordinator is not aware of this member."),
        (26, "INVALID_SESSION_TIMEOUT", false, "The session timeout is not within the range allowed by the broker."),
        (27, "REBALANCE_IN_PROGRESS", false, "The group is rebalancing, so a rejoin is needed."),
        (28, "INVALID_COMMIT_OFFSET_SIZE", false, "The committing offset data size is not valid."),
        (29, "TOPIC_AUTHORIZATION_FAILED", false, "Topic authorization failed."),
        (30, "GROUP_AUTHORIZATION_FAILED", false, "Group authorization failed."),
        (31, "CLUSTER_AUTHORIZATION_FAILED", false, "Cluster authorization failed."),
        (32, "INVALID_TIMESTAMP", false, "The timestamp of the message is out of acceptable range."),
        (33, "UNSUPPORTED_SASL_MECHANISM", false, "The broker does not support the requested SASL mechanism."),
        (34, "ILLEGAL_SASL_STATE", false, "Request is not valid given the current SASL state."),
        (35, "UNSUPPORTED_VERSION", false, "The version of API is not supported."),
        (36, "TOPIC_ALREADY_EXISTS", false, "Topic with this name already exists."),
        (37, "INVALID_PARTITIONS", false, "Number of partitions is below 1."),
        (38, "INVALID_REPLICATION_FACTOR", false, "Replication factor is below 1 or larger than the number of available brokers."),
        (39, "INVALID_REPLICA_ASSIGNMENT", false, "Replica assignment is invalid."),
        (40, "INVALID_CONFIG", false, "Configuration is invalid."),
        (41, "NOT_CONTROLLER", true, "This is not the correct controller for this cluster."),
        (42, "INVALID_REQUEST", false, "This most likely occurs because of a request being malformed by the client library or the message was sent to an incompatible broker."),
        (43, "UNSUPPORTED_FOR_MESSAGE_FORMAT", false, "The message format version on the broker does not support the request."),
        (44, "POLICY_VIOLATION", false, "Request parameters do not satisfy the configured policy."),
        (45, "OUT_OF_ORDER_SEQUENCE_NUMBER", false, "The broker received an out of order sequence number."),
        (46, "DUPLICATE_SEQUENCE_NUMBER", false, "The broker received a duplicate sequence number."),
        (47, "INVALID_PRODUCER_EPOCH", false, "Producer attempted to produce with an old epoch."),
        (48, "INVALID_TXN_STATE", false, "The producer attempted a transactional operation in an invalid state."),
        (49, "INVALID_PRODUCER_ID_MAPPING", false, "The producer attempted to use a producer id which is not currently assigned to its transactional id."),
        (50, "INVALID_TRANSACTION_TIMEOUT", false, "The transaction timeout is larger than the maximum value allowed by the broker."),
        (51, "CONCURRENT_TRANSACTIONS", true, "The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing."),
        (52, "TRANSACTION_COORDINATOR_FENCED", false, "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the current coordinator for a given producer."),
        (53, "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", false, "Transactional Id authorization failed."),
        (54, "SECURITY_DISABLED", false, "Security features are disabled."),
        (55, "OPERATION_NOT_ATTEMPTED", false, "The broker did not attempt to execute this operation."),
        (56, "KAFKA_STORAGE_ERROR", true, "Disk error when trying to access log file on the disk."),
        (57, "LOG_DIR_NOT_FOUND", false, "The user-specified log directory is not found in the broker config."),
        (58, "SASL_AUTHENTICATION_FAILED", false, "SASL Authentication failed."),
        (59, "UNKNOWN_PRODUCER_ID", false, "This exception is raised by the broker if it could not locate the producer metadata associated with the producerId in question."),
        (60, "REASSIGNMENT_IN_PROGRESS", false, "A partition reassignment is in progress."),
        (61, "DELEGATION_TOKEN_AUTH_DISABLED", false, "Delegation Token feature is not enabled."),
        (62, "DELEGATION_TOKEN_NOT_FOUND", false, "Delegation Token is not found on server."),
        (63, "DELEGATION_TOKEN_OWNER_MISMATCH", false, "Specified Principal is not valid Owner/Renewer."),
        (64, "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED", false, "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on delegation token authenticated channels."),
        (65, "DELEGATION_TOKEN_AUTHORIZATION_FAILED", false, "Delegation Token authorization failed."),
        (66, "DELEGATION_TOKEN_EXPIRED", false, "Delegation Token is expired."),
        (67, "INVALID_PRINCIPAL_TYPE", false, "Supplied principalType is not supported."),
        (68, "NON_EMPTY_GROUP", false, "The group is not empty."),
        (69, "GROUP_ID_NOT_FOUND", false, "The group id does not exist."),
        (70, "FETCH_SESSION_ID_NOT_FOUND", true, "The fetch session ID was not found."),
        (71, "INVALID_FETCH_SESSION_EPOCH", true, "The fetch session epoch is invalid."),
        (72, "LISTENER_NOT_FOUND", true, "There is no listener on the leader broker that matches the listener on which metadata request was processed."),
        (73, "TOPIC_DELETION_DISABLED", false, "Topic deletion is disabled."),
        (74, "FENCED_LEADER_EPOCH", true, "The leader epoch in the request is older than the epoch on the broker."),
        (75, "UNKNOWN_LEADER_EPOCH", true, "The leader epoch in the request is newer than the epoch on the broker."),
        (76, "UNSUPPORTED_COMPRESSION_TYPE", false, "The requesting client does not support the compression type of given partition."),
        (77, "STALE_BROKER_EPOCH", false, "Broker epoch has changed."),
        (78, "OFFSET_NOT_AVAILABLE", true, "The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing."),
        (79, "MEMBER_ID_REQUIRED", false, "The group member needs to have a valid member id before actually entering a consumer group."),
        (80, "PREFERRED_LEADER_NOT_AVAILABLE", true, "The preferred leader was not available."),
        (81, "GROUP_MAX_SIZE_REACHED", false, "The group has reached its maximum size."),
        (82, "FENCED_INSTANCE_ID", false, "The broker rejected this static consumer since another consumer with the same group.instance.id has registered with a different member.id."),
        (83, "ELIGIBLE_LEADERS_NOT_AVAILABLE", true, "Eligible topic partition leaders are not available."),
        (84, "ELECTION_NOT_NEEDED", true, "Leader election not needed for topic partition."),
        (85, "NO_REASSIGNMENT_IN_PROGRESS", false, "No partition reassignment is in progress."),
        (86, "GROUP_SUBSCRIBED_TO_TOPIC", false, "Deleting offsets of a topic is forbidden while the consumer group is actively subscribed to it."),
        (87, "INVALID_RECORD", false, "This record has failed the validation on broker and hence will be rejected."),
        (88, "UNSTABLE_OFFSET_COMMIT", true, "There are unstable offsets that need to be cleared."),
        (89, "THROTTLING_QUOTA_EXCEEDED", true, "The throttling quota has been exceeded."),
        (90, "PRODUCER_FENCED", false, "There is a newer producer with the same transactionalId which fences the current one."),
        (91, "RESOURCE_NOT_FOUND", false, "A request illegally referred to a resource that does not exist."),
        (92, "DUPLICATE_RESOURCE", false, "A request illegally referred to the same resource twice."),
        (93, "UNACCEPTABLE_CREDENTIAL", false, "Requested credential would not meet criteria for acceptability."),
        (94, "INCONSISTENT_VOTER_SET", false, "Indicates that the either the sender or recipient of a voter-only request is not one of the expected voters."),
        (95, "INVALID_UPDATE_VERSION", false, "The given update version was invalid."),
        (96, "FEATURE_UPDATE_FAILED", false, "Unable to update finalized features due to an unexpected server error."),
        (97, "PRINCIPAL_DESERIALIZATION_FAILURE", false, "Request principal deserialization failed during forwarding."),
        (98, "SNAPSHOT_NOT_FOUND", false, "Requested snapshot was not found."),
        (99, "POSITION_OUT_OF_RANGE", false, "Requested position is not greater than or equal to zero, and less than the size of the snapshot."),
        (100, "UNKNOWN_TOPIC_ID", true, "This server does not host this topic ID."),
        (101, "DUPLICATE_BROKER_REGISTRATION", false, "This broker ID is already in use."),
        (102, "BROKER_ID_NOT_REGISTERED", false, "The given broker ID was not registered."),
        (103, "INCONSISTENT_TOPIC_ID", true, "The log's topic ID did not match the topic ID in the request."),
        (104, "INCONSISTENT_CLUSTER_ID", false, "The clusterId in the request does not match that found on the server."),
        (105, "TRANSACTIONAL_ID_NOT_FOUND", false, "The transactionalId could not be found."),
        (106, "FETCH_SESSION_TOPIC_ID_ERROR", true, "The fetch session encountered inconsistent topic ID usage."),
        (107, "INELIGIBLE_REPLICA", false, "The new ISR contains at least one ineligible replica."),
        (108, "NEW_LEADER_ELECTED", false, "The AlterPartition request successfully updated the partition state but the leader has changed."),
        (109, "OFFSET_MOVED_TO_TIERED_STORAGE", false, "The requested offset is moved to tiered storage."),
        (110, "FENCED_MEMBER_EPOCH", false, "The member epoch is fenced by the group coordinator."),
        (111, "UNRELEASED_INSTANCE_ID", false, "The instance ID is still used by another member in the consumer group."),
        (112, "UNSUPPORTED_ASSIGNOR", false, "The assignor or its version range is not supported by the consumer group."),
        (113, "STALE_MEMBER_EPOCH", false, "The member epoch is stale."),
        (114, "MISMATCHED_ENDPOINT_TYPE", false, "The request was sent to an endpoint of the wrong type."),
        (115, "UNSUPPORTED_ENDPOINT_TYPE", false, "This endpoint type is not supported yet."),
        (116, "UNKNOWN_CONTROLLER_ID", false, "This controller ID is not known."),
        (117, "UNKNOWN_SUBSCRIPTION_ID", false, "Client sent a push telemetry request with an invalid or outdated subscription ID."),
        (118, "TELEMETRY_TOO_LARGE", false, "Client sent a push telemetry request larger than the maximum size the broker will accept."),
        (119, "INVALID_REGISTRATION", false, "The controller has considered the broker registration to be invalid."),
        (120, "TRANSACTION_ABORTABLE", false, "The server encountered an error with the transaction; the client can abort the transaction to continue using this transactional ID."),
        (121, "INVALID_RECORD_STATE", false, "The record state is invalid; the acknowledgement of delivery could not be completed."),
        (122, "SHARE_SESSION_NOT_FOUND", true, "The share session was not found."),
        (123, "INVALID_SHARE_SESSION_EPOCH", true, "The share session epoch is invalid."),
        (124, "FENCED_STATE_EPOCH", false, "The share coordinator rejected the request because the share-group state epoch did not match."),
        (125, "INVALID_VOTER_KEY", false, "The voter key does not match the receiving replica's key."),
        (126, "DUPLICATE_VOTER", false, "The voter is already part of the set of voters."),
        (127, "VOTER_NOT_FOUND", false, "The voter is not part of the set of voters."),
        (128, "INVALID_REGULAR_EXPRESSION", false, "The regular expression is not valid."),
        (129, "REBOOTSTRAP_REQUIRED", false, "Client metadata is stale; the client should rebootstrap to obtain new metadata."),
        (130, "STREAMS_INVALID_TOPOLOGY", false, "The supplied topology is invalid."),
        (131, "STREAMS_INVALID_TOPOLOGY_EPOCH", false, "The supplied topology epoch is invalid."),
        (132, "STREAMS_TOPOLOGY_FENCED", false, "The supplied topology epoch is outdated."),
        (133, "SHARE_SESSION_LIMIT_REACHED", true, "The limit of share sessions has been reached."),
    ]

    private static let table: [Int16: Info] = Dictionary(
        uniqueKeysWithValues: all.map { ($0.code, Info(name: $0.name, retriable: $0.retriable, message: $0.message)) })
}
