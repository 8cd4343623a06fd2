import NIOCore

/// InitProducerId response: the producer id and epoch to stamp on record batches.
///
/// Versions: 0-6 (2 is the first flexible version; 6 adds the ongoing two-phase-commit transaction's
/// producer id and epoch).
public struct InitProducerIdResponse: KafkaResponse {
    public static let apiKey = KafkaApiKey.initProducerId
    public static let supportedVersions: ClosedRange<Int16> = 0...6
    public static let firstFlexibleVersion: Int16? = 2

    /// Throttle time in milliseconds.
    public var throttleTimeMs: Int32
    /// The error code, 0 if none.
    public var errorCode: Int16
    /// The producer id, -1 on error.
    public var producerId: Int64
    /// The producer epoch.
    public var producerEpoch: Int16
    /// The producer id of an ongoing prepared transaction (v6+), -1 if none.
    public var ongoingTxnProducerId: Int64
    /// The producer epoch of an ongoing prepared transaction (v6+), -1 if none.
    public var ongoingTxnProducerEpoch: Int16
    /// Tags this code does not know.
    public var unknownTaggedFields: [KafkaTaggedField]

    /// Makes a response.
    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, producerId: Int64 = -1, producerEpoch: Int16 = 0,
        ongoingTxnProducerId: Int64 = -1, ongoingTxnProducerEpoch: Int16 = -1, unknownTaggedFields: [KafkaTaggedField] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.ongoingTxnProducerId = ongoingTxnProducerId
        self.ongoingTxnProducerEpoch = ongoingTxnProducerEpoch
        self.unknownTaggedFields = unknownTaggedFields
    }

    /// The error as a ``KafkaErrorCode``.
    public var error: KafkaErrorCode { KafkaErrorCode(rawValue: errorCode) }

    public func encode(into buffer: inout ByteBuffer, version: Int16) throws {
        try Self.checkVersion(version)
        try Self.encodeAtomically(into: &buffer) { buffer in
            buffer.writeInteger(throttleTimeMs)
            buffer.writeInteger(errorCode)
            buffer.writeInteger(producerId)
            buffer.writeInteger(producerEpoch)
            if version >= 6 {
                buffer.writeInteger(ongoingTxnProducerId)
                buffer.writeInteger(ongoingTxnProducerEpoch)
            }
            try Self.writeTaggedFields(
                [], unknown: unknownTaggedFields, into: &buffer, flexible: Self.isFlexible(version), field: "_tagged_fields",
                version: version)
        }
    }

    public init(from reader: inout KafkaReader, version: Int16) throws {
        self.init()
        throttleTimeMs = try reader.int32("throttle_time_ms")
        errorCode = try reader.int16("error_code")
        producerId = try reader.int64("producer_id")
        producerEpoch = try reader.int16("producer_epoch")
        if version >= 6 {
            ongoingTxnProducerId = try reader.int64("ongoing_txn_producer_id")
            ongoingTxnProducerEpoch = try reader.int16("ongoing_txn_producer_epoch")
        }
        if Self.isFlexible(version) { unknownTaggedFields = try reader.taggedFields() }
    }
}
