import NIOCore

/// InitProducerId request (API key 22): asks for a producer id and epoch, the identity under which an
/// idempotent producer numbers its batches.
///
/// Versions: 0-6. 2 is the first flexible version; 3 adds the current producer id and epoch (to bump the
/// epoch after an error instead of getting a new id); 4 and 5 only add error codes; 6 adds the
/// two-phase-commit flags (KIP-939).
public struct InitProducerIdRequest: KafkaRequest {
    public typealias Response = InitProducerIdResponse
    public static let apiKey = KafkaApiKey.initProducerId
    public static let supportedVersions: ClosedRange<Int16> = 0...6
    public static let firstFlexibleVersion: Int16? = 2

    /// The transactional id, or `nil` for an idempotent producer that is not transactional.
    public var transactionalId: String?
    /// How long an idle transaction may stay open, in milliseconds (used only with a transactional id).
    public var transactionTimeoutMs: Int32
    /// The current producer id (v3+), -1 when asking for a new one.
    public var producerId: Int64
    /// The current producer epoch (v3+), -1 when asking for a new id.
    public var producerEpoch: Int16
    /// Whether the transaction uses two-phase commit (v6+).
    public var enable2Pc: Bool
    /// Whether to keep a prepared transaction instead of aborting it (v6+).
    public var keepPreparedTxn: Bool
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a request.
    public init(
        transactionalId: String? = nil, transactionTimeoutMs: Int32 = 60_000, producerId: Int64 = -1,
        producerEpoch: Int16 = -1, enable2Pc: Bool = false, keepPreparedTxn: Bool = false,
        unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.enable2Pc = enable2Pc
        self.keepPreparedTxn = keepPreparedTxn
        self.unknownTaggedFields = unknownTaggedFields
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            let flexible = Self.isFlexible(version)
            buffer.writeKafkaNullableString(transactionalId, compact: flexible)
            buffer.writeInteger(transactionTimeoutMs)
            if version >= 3 {
                buffer.writeInteger(producerId)
                buffer.writeInteger(producerEpoch)
            }
            if version >= 6 {
                buffer.writeKafkaBool(enable2Pc)
                buffer.writeKafkaBool(keepPreparedTxn)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: flexible, field: "_tagged_fields", version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        let flexible = Self.isFlexible(version)
        self.init()
        transactionalId = try reader.nullableString("transactional_id", compact: flexible)
        transactionTimeoutMs = try reader.int32("transaction_timeout_ms")
        if version >= 3 {
            producerId = try reader.int64("producer_id")
            producerEpoch = try reader.int16("producer_epoch")
        }
        if version >= 6 {
            enable2Pc = try reader.bool("enable2_pc")
            keepPreparedTxn = try reader.bool("keep_prepared_txn")
        }
        if flexible { unknownTaggedFields = try reader.taggedFields() }
    }
}
