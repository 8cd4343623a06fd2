import KafkaWire
extension CreateTopicsRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        message.topics = sampler.array { sampler in
            CreatableTopic(
                name: sampler.string(), numPartitions: sampler.int32(), replicationFactor: sampler.int16(),
                assignments: sampler.array { sampler in
                    CreatableReplicaAssignment(
                        partitionIndex: sampler.int32(), brokerIds: sampler.array { $0.int32() },
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                configs: sampler.array { sampler in
                    CreatableTopicConfig(
                        name: sampler.string(), value: sampler.nullableString(),
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
                },
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        message.timeoutMs = sampler.int32()
        if version >= 1 { message.validateOnly = sampler.bool() }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}

extension CreateTopicsResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        if version >= 2 { message.throttleTimeMs = sampler.int32() }
        message.topics = sampler.array { sampler in
            var topic = CreatableTopicResult(name: sampler.string())
            if version >= 7 { topic.topicId = sampler.uuid() }
            topic.errorCode = sampler.int16()
            if version >= 1 { topic.errorMessage = sampler.nullableString() }
            if version >= 5 {
                if sampler.bool() { topic.topicConfigErrorCode = sampler.int16() }
                topic.numPartitions = sampler.int32()
                topic.replicationFactor = sampler.int16()
                topic.configs = sampler.nullableArray { sampler in
                    CreatableTopicConfigs(
                        name: sampler.string(), value: sampler.nullableString(), readOnly: sampler.bool(),
                        configSource: sampler.int8(), isSensitive: sampler.bool(),
                        unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
                }
            }
            topic.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
            return topic
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: flexible)
        return message
    }
}
