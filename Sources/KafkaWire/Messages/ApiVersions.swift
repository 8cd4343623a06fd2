import NIOCore

/// ApiVersions request (API key 18): asks the broker which versions of each API it supports.
/// Versions 0-2 have an empty body; version 3 (flexible) adds the client software name and version.
public struct ApiVersionsRequest: KafkaRequest {
    public typealias Response = ApiVersionsResponse
    public static let apiKey = KafkaApiKey.apiVersions
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    /// The client software's name (v3+), e.g. `ferry`.
    public var clientSoftwareName: String
    /// The client software's version (v3+).
    public var clientSoftwareVersion: String
    /// Tags this code does not know, kept for round trips.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(clientSoftwareName: String = "", clientSoftwareVersion: String = "", unknownTaggedFields: [KafkaTaggedField] = []) {
        self.clientSoftwareName = clientSoftwareName
        self.clientSoftwareVersion = clientSoftwareVersion
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        guard version >= 3 else { return }
        buffer.writeKafkaString(clientSoftwareName, compact: true)
        buffer.writeKafkaString(clientSoftwareVersion, compact: true)
        buffer.writeKafkaTaggedFields(unknownTaggedFields)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        self.init()
        guard version >= 3 else { return }
        clientSoftwareName = try reader.string("client_software_name", compact: true)
        clientSoftwareVersion = try reader.string("client_software_version", compact: true)
        unknownTaggedFields = try reader.taggedFields()
    }
}

/// ApiVersions response: the broker's supported version range for every API it serves.
/// A broker that does not support the requested version answers UNSUPPORTED_VERSION (35) in version 0,
/// listing at least its ApiVersions range, so that the client can retry with a version both know.
public struct ApiVersionsResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.apiVersions
    public static let supportedVersions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 3

    /// One API's supported version range.
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

    /// A feature the broker supports (tagged field 0, v3+).
    public struct SupportedFeature: Hashable, Sendable {
        public var name: String
        public var minVersion: Int16
        public var maxVersion: Int16
        public var unknownTaggedFields: [KafkaTaggedField]

        public init(name: String, minVersion: Int16, maxVersion: Int16, unknownTaggedFields: [KafkaTaggedField] = []) {
            self.name = name
            self.minVersion = minVersion
            self.maxVersion = maxVersion
            self.unknownTaggedFields = unknownTaggedFields
        }
    }

    /// A cluster-wide finalized feature (tagged field 2, v3+).
    public struct FinalizedFeature: Hashable, Sendable {
        public var name: String
        public var maxVersionLevel: Int16
        public var minVersionLevel: Int16
        public var unknownTaggedFields: [KafkaTaggedField]

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

    /// The range the broker supports for `apiKey`, if it lists it.
    public func versions(of apiKey: KafkaApiKey) -> ClosedRange<Int16>? {
        guard let entry = apiKeys.first(where: { $0.apiKey == apiKey }), entry.minVersion <= entry.maxVersion else {
            return nil
        }
        return entry.minVersion...entry.maxVersion
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        let flexible = Self.isFlexible(version)
        buffer.writeInteger(errorCode)
        buffer.writeKafkaArray(apiKeys, compact: flexible) { buffer, entry in
            buffer.writeInteger(entry.apiKey.rawValue)
            buffer.writeInteger(entry.minVersion)
            buffer.writeInteger(entry.maxVersion)
            if flexible { buffer.writeKafkaTaggedFields(entry.unknownTaggedFields) }
        }
        if version >= 1 { buffer.writeInteger(throttleTimeMs) }
        guard flexible else { return }
        var tagged = unknownTaggedFields
        if !supportedFeatures.isEmpty {
            tagged.append(KafkaTaggedField(tag: 0) { buffer in
                buffer.writeKafkaArray(supportedFeatures, compact: true) { buffer, feature in
                    buffer.writeKafkaString(feature.name, compact: true)
                    buffer.writeInteger(feature.minVersion)
                    buffer.writeInteger(feature.maxVersion)
                    buffer.writeKafkaTaggedFields(feature.unknownTaggedFields)
                }
            })
        }
        if finalizedFeaturesEpoch != -1 {
            tagged.append(KafkaTaggedField(tag: 1) { $0.writeInteger(finalizedFeaturesEpoch) })
        }
        if !finalizedFeatures.isEmpty {
            tagged.append(KafkaTaggedField(tag: 2) { buffer in
                buffer.writeKafkaArray(finalizedFeatures, compact: true) { buffer, feature in
                    buffer.writeKafkaString(feature.name, compact: true)
                    buffer.writeInteger(feature.maxVersionLevel)
                    buffer.writeInteger(feature.minVersionLevel)
                    buffer.writeKafkaTaggedFields(feature.unknownTaggedFields)
                }
            })
        }
        if zkMigrationReady {
            tagged.append(KafkaTaggedField(tag: 3) { $0.writeKafkaBool(true) })
        }
        buffer.writeKafkaTaggedFields(tagged)
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        errorCode = try reader.int16("error_code")
        apiKeys = try reader.array("api_keys", compact: flexible) { reader in
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
                supportedFeatures = try field.decode(context: "ApiVersionsResponse.supported_features") { reader in
                    try reader.array(compact: true) { reader in
                        SupportedFeature(
                            name: try reader.string("name", compact: true),
                            minVersion: try reader.int16("min_version"),
                            maxVersion: try reader.int16("max_version"),
                            unknownTaggedFields: try reader.taggedFields())
                    }
                }
            case 1:
                finalizedFeaturesEpoch = try field.decode(context: "ApiVersionsResponse.finalized_features_epoch") {
                    try $0.int64()
                }
            case 2:
                finalizedFeatures = try field.decode(context: "ApiVersionsResponse.finalized_features") { reader in
                    try reader.array(compact: true) { reader in
                        FinalizedFeature(
                            name: try reader.string("name", compact: true),
                            maxVersionLevel: try reader.int16("max_version_level"),
                            minVersionLevel: try reader.int16("min_version_level"),
                            unknownTaggedFields: try reader.taggedFields())
                    }
                }
            case 3:
                zkMigrationReady = try field.decode(context: "ApiVersionsResponse.zk_migration_ready") { try $0.bool() }
            default:
                unknownTaggedFields.append(field)
            }
        }
    }
}
