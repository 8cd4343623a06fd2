import KafkaWire
extension ProduceRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self(transactionalId: sampler.nullableString(), acks: sampler.int16(), timeoutMs: sampler.int32())
        message.topicData = sampler.array { sampler in
            TopicProduceData(
                name: version < firstTopicIdVersion ? sampler.string() : "",
                topicId: version < firstTopicIdVersion
                    ? .zero : KafkaUUID(mostSignificantBits: sampler.next() | 1, leastSignificantBits: sampler.next()),
                partitionData: sampler.array { sampler in
                    PartitionProduceData(
                        index: sampler.int32(), records: sampler.records(),
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}

extension ProduceResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        message.responses = sampler.array { sampler in
            TopicProduceResponse(
                name: version < 13 ? sampler.string() : "",
                topicId: version < 13 ? .zero : sampler.uuid(),
                partitionResponses: sampler.array { samplePartition(version: version, using: &$0) },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        message.throttleTimeMs = sampler.int32()
        if version >= 10 {
            message.nodeEndpoints = sampler.array { sampler in
                NodeEndpoint(
                    nodeId: sampler.int32(), host: sampler.string(), port: sampler.int32(), rack: sampler.nullableString(),
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
            }
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }

    private static func samplePartition(version: Int16, using sampler: inout KafkaSampler) -> PartitionProduceResponse {
        let flexible = isFlexible(version)
        var partition = PartitionProduceResponse(
            index: sampler.int32(), errorCode: sampler.int16(), baseOffset: sampler.int64(), logAppendTimeMs: sampler.int64())
        if version >= 5 { partition.logStartOffset = sampler.int64() }
        if version >= 8 {
            partition.recordErrors = sampler.array { sampler in
                BatchIndexAndErrorMessage(
                    batchIndex: sampler.int32(), batchIndexErrorMessage: sampler.nullableString(),
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
            }
            partition.errorMessage = sampler.nullableString()
        }
        if version >= 10, sampler.bool() {
            partition.currentLeader = LeaderIdAndEpoch(
                leaderId: sampler.int32(), leaderEpoch: sampler.int32(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
        }
        partition.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return partition
    }
}
