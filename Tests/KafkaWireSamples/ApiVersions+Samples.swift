import KafkaWire
extension ApiVersionsRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        var message = Self()
        guard version >= 3 else { return message }
        message.clientSoftwareName = sampler.string()
        message.clientSoftwareVersion = sampler.string()
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: true)
        return message
    }
}

extension ApiVersionsResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        let flexible = isFlexible(version)
        var message = Self()
        message.errorCode = sampler.int16()
        message.apiKeys = sampler.array { sampler in
            ApiVersion(
                apiKey: KafkaApiKey(rawValue: sampler.int16()), minVersion: sampler.int16(), maxVersion: sampler.int16(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: flexible))
        }
        if version >= 1 { message.throttleTimeMs = sampler.int32() }
        guard flexible else { return message }
        message.supportedFeatures = sampler.array { sampler in
            SupportedFeature(
                name: sampler.string(), minVersion: sampler.int16(), maxVersion: sampler.int16(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
        }
        if sampler.bool() { message.finalizedFeaturesEpoch = sampler.int64() }
        message.finalizedFeatures = sampler.array { sampler in
            FinalizedFeature(
                name: sampler.string(), maxVersionLevel: sampler.int16(), minVersionLevel: sampler.int16(),
                unknownTaggedFields: sampler.unknownTaggedFields(flexible: true))
        }
        message.zkMigrationReady = sampler.bool()
        message.unknownTaggedFields = sampler.unknownTaggedFields(flexible: true)
        return message
    }
}
