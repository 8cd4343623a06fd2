import KafkaWire
extension MetadataRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        message.topics = sampler.nullableArray { sampler in
            MetadataRequestTopic(
                topicId: version >= 10 ? sampler.uuid() : .zero,
                name: version >= 10 ? sampler.nullableString() : sampler.string(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 4 { message.allowAutoTopicCreation = sampler.bool() }
        if (8...10).contains(version) { message.includeClusterAuthorizedOperations = sampler.bool() }
        if version >= 8 { message.includeTopicAuthorizedOperations = sampler.bool() }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}

extension MetadataResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        if version >= 3 { message.throttleTimeMs = sampler.int32() }
        message.brokers = sampler.array { sampler in
            MetadataResponseBroker(
                nodeId: sampler.int32(), host: sampler.string(), port: sampler.int32(), rack: sampler.nullableString(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 2 { message.clusterId = sampler.nullableString() }
        message.controllerId = sampler.int32()
        message.topics = sampler.array { sampler in
            var topic = MetadataResponseTopic(errorCode: sampler.int16())
            topic.name = version >= 12 ? sampler.nullableString() : sampler.string()
            if version >= 10 { topic.topicId = sampler.uuid() }
            topic.isInternal = sampler.bool()
            topic.partitions = sampler.array { sampler in
                MetadataResponsePartition(
                    errorCode: sampler.int16(), partitionIndex: sampler.int32(), leaderId: sampler.int32(),
                    leaderEpoch: version >= 7 ? sampler.int32() : -1,
                    replicaNodes: sampler.array { $0.int32() }, isrNodes: sampler.array { $0.int32() },
                    offlineReplicas: version >= 5 ? sampler.array { $0.int32() } : [],
                    unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
            }
            if version >= 8 { topic.topicAuthorizedOperations = sampler.int32() }
            topic.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
            return topic
        }
        if (8...10).contains(version) { message.clusterAuthorizedOperations = sampler.int32() }
        if version >= 13 { message.errorCode = sampler.int16() }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}
