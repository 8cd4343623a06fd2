import KafkaWire
extension FetchRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        if flexible { message.clusterId = sampler.nullableString() }
        if version <= 14 { message.replicaId = sampler.int32() }
        if version >= 15, sampler.bool() {
            message.replicaState = ReplicaState(
                replicaId: sampler.int32(), replicaEpoch: sampler.int64(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
        }
        message.maxWaitMs = sampler.int32()
        message.minBytes = sampler.int32()
        message.maxBytes = sampler.int32()
        message.isolationLevel = sampler.int8()
        if version >= 7 {
            message.sessionId = sampler.int32()
            message.sessionEpoch = sampler.int32()
        }
        message.topics = sampler.array { sampler in
            FetchTopic(
                topic: version <= 12 ? sampler.string() : "",
                topicId: version >= 13 ? sampler.uuid() : .zero,
                partitions: sampler.array { sampler in
                    FetchPartition(
                        partition: sampler.int32(), currentLeaderEpoch: version >= 9 ? sampler.int32() : -1,
                        fetchOffset: sampler.int64(), lastFetchedEpoch: version >= 12 ? sampler.int32() : -1,
                        logStartOffset: version >= 5 ? sampler.int64() : -1, partitionMaxBytes: sampler.int32(),
                        replicaDirectoryId: version >= 17 ? sampler.uuid() : .zero,
                        highWatermark: version >= 18 && sampler.bool() ? sampler.int64() : .max,
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 7 {
            message.forgottenTopicsData = sampler.array { sampler in
                ForgottenTopic(
                    topic: version <= 12 ? sampler.string() : "",
                    topicId: version >= 13 ? sampler.uuid() : .zero,
                    partitions: sampler.array { $0.int32() },
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
            }
        }
        if version >= 11 { message.rackId = sampler.string() }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}

extension FetchResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self(throttleTimeMs: sampler.int32())
        if version >= 7 {
            message.errorCode = sampler.int16()
            message.sessionId = sampler.int32()
        }
        message.responses = sampler.array { sampler in
            FetchableTopicResponse(
                topic: version <= 12 ? sampler.string() : "",
                topicId: version >= 13 ? sampler.uuid() : .zero,
                partitions: sampler.array { samplePartition(version: version, using: &$0) },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 16 {
            message.nodeEndpoints = sampler.array { sampler in
                NodeEndpoint(
                    nodeId: sampler.int32(), host: sampler.string(), port: sampler.int32(), rack: sampler.nullableString(),
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
            }
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }

    private static func samplePartition(version: Int16, using sampler: inout KafkaSampler) -> PartitionData {
        let flexible = isFlexible(version)
        var partition = PartitionData(
            partitionIndex: sampler.int32(), errorCode: sampler.int16(), highWatermark: sampler.int64(),
            lastStableOffset: sampler.int64())
        if version >= 5 { partition.logStartOffset = sampler.int64() }
        if flexible {
            if sampler.bool() {
                partition.divergingEpoch = EpochEndOffset(
                    epoch: sampler.int32(), endOffset: sampler.int64(), unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
            }
            if sampler.bool() {
                partition.currentLeader = LeaderIdAndEpoch(
                    leaderId: sampler.int32(), leaderEpoch: sampler.int32(),
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
            }
            if sampler.bool() {
                partition.snapshotId = SnapshotId(
                    endOffset: sampler.int64(), epoch: sampler.int32(), unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
            }
        }
        partition.abortedTransactions = sampler.nullableArray { sampler in
            AbortedTransaction(
                producerId: sampler.int64(), firstOffset: sampler.int64(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 11 { partition.preferredReadReplica = sampler.int32() }
        partition.records = sampler.records()
        partition.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return partition
    }
}
