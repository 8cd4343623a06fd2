import KafkaWire
extension ListOffsetsRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self(replicaId: sampler.int32())
        if version >= 2 { message.isolationLevel = sampler.int8() }
        message.topics = sampler.array { sampler in
            ListOffsetsTopic(
                name: sampler.string(),
                partitions: sampler.array { sampler in
                    ListOffsetsPartition(
                        partitionIndex: sampler.int32(), currentLeaderEpoch: version >= 4 ? sampler.int32() : -1,
                        timestamp: sampler.int64(), unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 10 { message.timeoutMs = sampler.int32() }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}

extension ListOffsetsResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        if version >= 2 { message.throttleTimeMs = sampler.int32() }
        message.topics = sampler.array { sampler in
            ListOffsetsTopicResponse(
                name: sampler.string(),
                partitions: sampler.array { sampler in
                    ListOffsetsPartitionResponse(
                        partitionIndex: sampler.int32(), errorCode: sampler.int16(), timestamp: sampler.int64(),
                        offset: sampler.int64(), leaderEpoch: version >= 4 ? sampler.int32() : -1,
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}
