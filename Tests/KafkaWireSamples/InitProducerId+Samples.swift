import KafkaWire
extension InitProducerIdRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        var message = Self(transactionalId: sampler.nullableString(), transactionTimeoutMs: sampler.int32())
        if version >= 3 {
            message.producerId = sampler.int64()
            message.producerEpoch = sampler.int16()
        }
        if version >= 6 {
            message.enable2Pc = sampler.bool()
            message.keepPreparedTxn = sampler.bool()
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: isFlexible(version))
        return message
    }
}

extension InitProducerIdResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        var message = Self(
            throttleTimeMs: sampler.int32(), errorCode: sampler.int16(), producerId: sampler.int64(), producerEpoch: sampler.int16())
        if version >= 6 {
            message.ongoingTxnProducerId = sampler.int64()
            message.ongoingTxnProducerEpoch = sampler.int16()
        }
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: isFlexible(version))
        return message
    }
}
