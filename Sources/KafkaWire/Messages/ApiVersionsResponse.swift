import NIOCore

/// ApiVersions response: the broker's supported version range for every API it serves.
/// A broker that does not support the requested version answers UNSUPPORTED_VERSION (35) in version 0,
/// listing at least its ApiVersions range, so that the client can retry with a version both know.
/// Its response header is always version 0, whatever the body version.
public struct ApiVersionsResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.apiVersions
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    /// One API's supported version range (schema struct `ApiVersion`).
    public struct ApiVersion: Hashable, Sendable {
        /// The API.
        public var apiKey: KafkaApiKey
        /// Lowest supported version, inclusive.
        public var minVersion: Int16
        /// Highest supported version, inclusive.
        public var maxVersion: Int16
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(apiKey: KafkaApiKey, minVersion: Int16, maxVersion: Int16, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.apiKey = apiKey
            self.minVersion = minVersion
            self.maxVersion = maxVersion
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A feature the broker supports (schema struct `SupportedFeatureKey`, tagged field 0, v3+).
    public struct SupportedFeature: Hashable, Sendable {
        /// The feature's name.
        public var name: String
        /// Lowest supported version of the feature.
        public var minVersion: Int16
        /// Highest supported version of the feature.
        public var maxVersion: Int16
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(name: String, minVersion: Int16, maxVersion: Int16, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.minVersion = minVersion
            self.maxVersion = maxVersion
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A cluster-wide finalized feature (schema struct `FinalizedFeatureKey`, tagged field 2, v3+).
    public struct FinalizedFeature: Hashable, Sendable {
        /// The feature's name.
        public var name: String
        /// The finalized maximum version level.
        public var maxVersionLevel: Int16
        /// The finalized minimum version level.
        public var minVersionLevel: Int16
        /// Tags this code does not know.
        public var unknownTaggedFields: [KafkaTaggedField]

        /// Makes an entry.
        public init(name: String, maxVersionLevel: Int16, minVersionLevel: Int16, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.maxVersionLevel = maxVersionLevel
            self.minVersionLevel = minVersionLevel
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// The top-level error code (0, or 35 UNSUPPORTED_VERSION).
    public var errorCode: Int16
    /// The APIs the broker supports.
    public var apiKeys: [ApiVersion]
    /// Throttle time in milliseconds (v1+).
    public var throttleTimeMs: Int32
    /// Features supported by the broker (v3+, tag 0).
    public var supportedFeatures: [SupportedFeature]
    /// Epoch of the finalized features, -1 if unknown (v3+, tag 1).
    public var finalizedFeaturesEpoch: Int64
    /// Cluster-wide finalized features (v3+, tag 2).
    public var finalizedFeatures: [FinalizedFeature]
    /// Set by a KRaft controller ready for ZK migration (v3+, tag 3).
    public var zkMigrationReady: Bool
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        errorCode: Int16 = 0, apiKeys: [ApiVersion] = [], throttleTimeMs: Int32 = 0,
        supportedFeatures: [SupportedFeature] = [], finalizedFeaturesEpoch: Int64 = -1,
        finalizedFeatures: [FinalizedFeature] = [], zkMigrationReady: Bool = false,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.errorCode = errorCode
        self.apiKeys = apiKeys
        self.throttleTimeMs = throttleTimeMs
        self.supportedFeatures = supportedFeatures
        self.finalizedFeaturesEpoch = finalizedFeaturesEpoch
        self.finalizedFeatures = finalizedFeatures
        self.zkMigrationReady = zkMigrationReady
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The top-level error as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    /// The range the broker supports for `apiKey`, if it lists it.
    public func versions(of apiKey: KafkaApiKey) -> ClosedRange<Int16>? {
        guard let entry = apiKeys.first(where: { $0.apiKey == apiKey }), entry.minVersion <= entry.maxVersion else {
            return nil
        }
        return entry.minVersion...entry.maxVersion
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            try encodeBody(into: &buffer, version: version)
        }
    }

    private func encodeBody(into buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        buffer.writeInteger(errorCode)
        try buffer.writeKafkaArray(apiKeys, compact: flexible) { buffer, entry in
            buffer.writeInteger(entry.apiKey.rawValue)
            buffer.writeInteger(entry.minVersion)
            buffer.writeInteger(entry.maxVersion)
            try Self.writeTaggedFields(
                [], unknown: entry.unknownTaggedFields, into: &buffer, flexible: flexible, field: "api_keys", version: version)
        }
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        var known: [KafkaTaggedField] = []
        if flexible {
            if !supportedFeatures.isEmpty {
                known.append(try KafkaTaggedField(tag: 0) { buffer in
                    try buffer.writeKafkaArray(supportedFeatures, compact: true) { buffer, feature in
                        buffer.writeKafkaString(feature.name, compact: true)
                        buffer.writeInteger(feature.minVersion)
                        buffer.writeInteger(feature.maxVersion)
                        try Self.writeTaggedFields(
                            [], unknown: feature.unknownTaggedFields, into: &buffer, flexible: true,
                            field: "supported_features", version: version)
                    }
                })
            }
            if finalizedFeaturesEpoch != -1 {
                known.append(KafkaTaggedField(tag: 1) { $0.writeInteger(finalizedFeaturesEpoch) })
            }
            if !finalizedFeatures.isEmpty {
                known.append(try KafkaTaggedField(tag: 2) { buffer in
                    try buffer.writeKafkaArray(finalizedFeatures, compact: true) { buffer, feature in
                        buffer.writeKafkaString(feature.name, compact: true)
                        buffer.writeInteger(feature.maxVersionLevel)
                        buffer.writeInteger(feature.minVersionLevel)
                        try Self.writeTaggedFields(
                            [], unknown: feature.unknownTaggedFields, into: &buffer, flexible: true,
                            field: "finalized_features", version: version)
                    }
                })
            }
            if zkMigrationReady {
                known.append(KafkaTaggedField(tag: 3) { $0.writeKafkaBool(true) })
            }
        }
        try Self.writeTaggedFields(
            known, unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        errorCode = try reader.int16("error_code")
        apiKeys = try reader.boundedArray("api_keys", compact: flexible, minimumElementSize: flexible ? 7 : 6) { reader in
            ApiVersion(
                apiKey: KafkaApiKey(rawValue: try reader.int16("api_key")),
                minVersion: try reader.int16("min_version"),
                maxVersion: try reader.int16("max_version"),
                unknownTaggedFields: flexible ? try reader.taggedFields() : [])
        }
        if version >= 1 { throttleTimeMs = try reader.int32("throttle_time_ms") }
        guard flexible else { return }
        for field in try reader.taggedFields() {
            switch field.tag {
            case 0:
                supportedFeatures = try reader.decodeTagged(field, "supported_features") { reader in
                    try reader.boundedArray("supported_features", compact: true, minimumElementSize: 6) { reader in
                        SupportedFeature(
                            name: try reader.string("name", compact: true),
                            minVersion: try reader.int16("min_version"),
                            maxVersion: try reader.int16("max_version"),
                            unknownTaggedFields: try reader.taggedFields())
                    }
                }
            case 1:
                finalizedFeaturesEpoch = try reader.decodeTagged(field, "finalized_features_epoch") {
                    try $0.int64("finalized_features_epoch")
                }
            case 2:
                finalizedFeatures = try reader.decodeTagged(field, "finalized_features") { reader in
                    try reader.boundedArray("finalized_features", compact: true, minimumElementSize: 6) { reader in
                        FinalizedFeature(
                            name: try reader.string("name", compact: true),
                            maxVersionLevel: try reader.int16("max_version_level"),
                            minVersionLevel: try reader.int16("min_version_level"),
                            unknownTaggedFields: try reader.taggedFields())
                    }
                }
            case 3:
                zkMigrationReady = try reader.decodeTagged(field, "zk_migration_ready") { try $0.bool("zk_migration_ready") }
            default:
                unknownTaggedFields.append(field)
            }
        }
    }
}
