import KafkaWire
extension SaslHandshakeRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        Self(mechanism: sampler.string())
    }
}

extension SaslHandshakeResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        Self(errorCode: sampler.int16(), mechanisms: sampler.array { $0.string() })
    }
}

extension SaslAuthenticateRequest: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        Self(authBytes: sampler.bytes(), unknownTaggedFields: sampler.unknownTaggedFields(flexible: isFlexible(version)))
    }
}

extension SaslAuthenticateResponse: KafkaSampleable {
    public static func sample(version: Int16, using sampler: inout KafkaSampler) -> Self {
        Self(
            errorCode: sampler.int16(), errorMessage: sampler.nullableString(), authBytes: sampler.bytes(),
            sessionLifetimeMs: version >= 1 ? sampler.int64() : 0,
            unknownTaggedFields: sampler.unknownTaggedFields(flexible: isFlexible(version)))
    }
}
