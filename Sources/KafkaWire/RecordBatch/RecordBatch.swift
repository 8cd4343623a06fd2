import CCRC32C
import KafkaCompression
import NIOCore

/// A decoded v2 record batch: every header field and every record.
///
/// This is the canonical, readable model, used to decode what brokers return (our verification tools,
/// the fake broker of the fault tests) and as the reference encoding that the fast
/// ``RecordBatchBuilder`` is compared with byte for byte.
public struct RecordBatch: Hashable, Sendable {
    /// Offset of the first record (0 when a producer writes it; the broker assigns the real one).
    public var baseOffset: Int64
    /// The partition leader epoch (-1 from a producer).
    public var partitionLeaderEpoch: Int32
    /// Attribute bits: compression, timestamp type, transactional, control.
    public var attributes: RecordBatchAttributes
    /// Offset delta of the last record (usually `records.count - 1`).
    public var lastOffsetDelta: Int32
    /// Timestamp of the first record.
    public var baseTimestamp: Int64
    /// Largest record timestamp.
    public var maxTimestamp: Int64
    /// Idempotent producer id, or -1.
    public var producerId: Int64
    /// Producer epoch, or -1.
    public var producerEpoch: Int16
    /// Sequence number of the first record, or -1.
    public var baseSequence: Int32
    /// The records.
    public var records: [Record]
    /// The CRC read from the input (0 for a batch built in memory; recomputed when encoding).
    public var crc: UInt32

    /// Makes a batch.
    public init(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, attributes: RecordBatchAttributes = RecordBatchAttributes(rawValue: 0),
        lastOffsetDelta: Int32? = nil, baseTimestamp: Int64 = 0, maxTimestamp: Int64? = nil, producerId: Int64 = -1,
        producerEpoch: Int16 = -1, baseSequence: Int32 = -1, records: [Record], crc: UInt32 = 0
    ) {
        self.baseOffset = baseOffset
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta ?? Int32(max(records.count - 1, 0))
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp ?? (records.map { baseTimestamp &+ $0.timestampDelta }.max() ?? baseTimestamp)
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.records = records
        self.crc = crc
    }

    /// The default cap on a batch's decompressed records: 64 MiB.
    public static let defaultMaximumRecordsSize = 64 * 1024 * 1024

    // MARK: Encoding (reference)

    /// Encodes the batch the straightforward way: records one field at a time, then compression with
    /// `compressor` (whose codec must match ``attributes``), then lengths and the CRC.
    public func encoded(with compressor: BatchCompressor) throws -> ByteBuffer {
        guard attributes.compression == compressor.compression else {
            throw KafkaWireError(
                .compression, "attributes say \(attributes.compressionCode), compressor is \(compressor.compression)",
                context: "RecordBatch.encode")
        }
        var body = ByteBuffer()
        for record in records {
            writeRecord(record, into: &body)
        }
        var compressed = ByteBuffer()
        try body.withUnsafeReadableBytes { source in
            let bound = compressor.maximumCompressedSize(source.count)
            try compressed.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
                try compressor.compress(source, into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<bound]))
            }
        }
        var output = ByteBuffer()
        output.writeInteger(baseOffset)
        output.writeInteger(Int32(RecordBatchLayout.headerSize - RecordBatchLayout.logOverhead + compressed.readableBytes))
        output.writeInteger(partitionLeaderEpoch)
        output.writeInteger(RecordBatchLayout.currentMagic)
        output.writeInteger(UInt32(0))
        output.writeInteger(attributes.rawValue)
        output.writeInteger(lastOffsetDelta)
        output.writeInteger(baseTimestamp)
        output.writeInteger(maxTimestamp)
        output.writeInteger(producerId)
        output.writeInteger(producerEpoch)
        output.writeInteger(baseSequence)
        output.writeInteger(Int32(self.records.count))
        output.writeBuffer(&compressed)
        let crc = output.withUnsafeReadableBytes { bytes in
            let covered = UnsafeRawBufferPointer(rebasing: bytes[RecordBatchLayout.attributes...])
            return ferry_crc32c_extend(0, covered.baseAddress, covered.count)
        }
        output.setInteger(crc, at: RecordBatchLayout.crc)
        return output
    }

    private func writeRecord(_ record: Record, into buffer: inout ByteBuffer) {
        buffer.writeKafkaVarint(Int32(record.bodySize))
        buffer.writeInteger(record.attributes)
        buffer.writeKafkaVarlong(record.timestampDelta)
        buffer.writeKafkaVarint(record.offsetDelta)
        if let key = record.key {
            buffer.writeKafkaVarint(Int32(key.count))
            buffer.writeBytes(key)
        } else {
            buffer.writeKafkaVarint(-1)
        }
        if let value = record.value {
            buffer.writeKafkaVarint(Int32(value.count))
            buffer.writeBytes(value)
        } else {
            buffer.writeKafkaVarint(-1)
        }
        buffer.writeKafkaVarint(Int32(record.headers.count))
        for header in record.headers {
            buffer.writeKafkaVarint(Int32(header.key.utf8.count))
            buffer.writeString(header.key)
            if let value = header.value {
                buffer.writeKafkaVarint(Int32(value.count))
                buffer.writeBytes(value)
            } else {
                buffer.writeKafkaVarint(-1)
            }
        }
    }

    // MARK: Decoding

    /// Decodes every complete batch in a `records` blob (a Produce request's or a Fetch response's).
    /// A partial batch at the end (brokers may cut a fetch response mid-batch) is ignored when
    /// `allowPartialTrailingBatch`, an error otherwise. CRCs are checked when `verifyCRC`.
    public static func decodeAll(
        _ buffer: ByteBuffer, verifyCRC: Bool = true, allowPartialTrailingBatch: Bool = false,
        maximumRecordsSize: Int = defaultMaximumRecordsSize
    ) throws -> [RecordBatch] {
        var reader = KafkaReader(buffer, context: "RecordBatch")
        var batches: [RecordBatch] = []
        while reader.remaining > 0 {
            if allowPartialTrailingBatch {
                guard reader.remaining >= RecordBatchLayout.logOverhead else { break }
                let declared = reader.buffer.getInteger(at: reader.buffer.readerIndex + RecordBatchLayout.batchLength, as: Int32.self) ?? 0
                guard declared >= 0, reader.remaining >= RecordBatchLayout.logOverhead + Int(declared) else { break }
            }
            batches.append(try decode(from: &reader, verifyCRC: verifyCRC, maximumRecordsSize: maximumRecordsSize))
        }
        return batches
    }

    /// Decodes one batch from `reader`.
    public static func decode(
        from reader: inout KafkaReader, verifyCRC: Bool = true, maximumRecordsSize: Int = defaultMaximumRecordsSize
    ) throws -> RecordBatch {
        let baseOffset = try reader.int64("base_offset")
        let batchLength = Int(try reader.int32("batch_length"))
        let minimum = RecordBatchLayout.headerSize - RecordBatchLayout.logOverhead
        guard batchLength >= minimum else {
            throw reader.error(.corruptBatch, "batch length \(batchLength) is below the header size \(minimum)", field: "batch_length")
        }
        var body = try reader.child("batch", length: batchLength)
        let partitionLeaderEpoch = try body.int32("partition_leader_epoch")
        let magic = try body.int8("magic")
        guard magic == RecordBatchLayout.currentMagic else {
            throw body.error(.unsupportedMagic, "magic \(magic); only v2 record batches are supported", field: "magic")
        }
        let crc = try body.uint32("crc")
        if verifyCRC {
            let computed = body.buffer.withUnsafeReadableBytes { ferry_crc32c_extend(0, $0.baseAddress, $0.count) }
            guard computed == crc else {
                throw body.error(.badCRC, "CRC-32C is \(hex(computed)), the batch says \(hex(crc))", field: "crc")
            }
        }
        let attributes = RecordBatchAttributes(rawValue: try body.int16("attributes"))
        let lastOffsetDelta = try body.int32("last_offset_delta")
        let baseTimestamp = try body.int64("base_timestamp")
        let maxTimestamp = try body.int64("max_timestamp")
        let producerId = try body.int64("producer_id")
        let producerEpoch = try body.int16("producer_epoch")
        let baseSequence = try body.int32("base_sequence")
        let count = Int(try body.int32("records_count"))
        guard count >= 0 else { throw body.error(.corruptBatch, "negative record count \(count)", field: "records_count") }
        let payload = try body.slice("records", length: body.remaining)
        let recordsBytes = try decompress(payload, attributes: attributes, maximumSize: maximumRecordsSize, context: body)
        var records = KafkaReader(recordsBytes, context: "\(reader.context).records")
        // Every record takes at least 7 bytes: a count above that is corrupt, and must not size an allocation.
        guard count <= records.remaining / 7 + 1 else {
            throw records.error(.corruptBatch, "\(count) records cannot fit in \(records.remaining) bytes")
        }
        var decoded: [Record] = []
        decoded.reserveCapacity(min(count, 4096))
        for index in 0..<count {
            decoded.append(try decodeRecord(&records, index: index))
        }
        guard records.remaining == 0 else {
            throw records.error(.corruptBatch, "\(records.remaining) bytes after the last of \(count) records")
        }
        return RecordBatch(
            baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, attributes: attributes,
            lastOffsetDelta: lastOffsetDelta, baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp,
            producerId: producerId, producerEpoch: producerEpoch, baseSequence: baseSequence, records: decoded, crc: crc)
    }

    private static func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

    private static func decompress(
        _ payload: ByteBuffer, attributes: RecordBatchAttributes, maximumSize: Int, context: KafkaReader
    ) throws -> ByteBuffer {
        guard let compression = attributes.compression else {
            throw context.error(.compression, "unknown compression codec \(attributes.compressionCode)", field: "attributes")
        }
        if compression == .none { return payload }
        do {
            let bytes: [UInt8] = try payload.withUnsafeReadableBytes { input in
                switch compression {
                case .gzip: try GzipDecompressor.decompress(input, maximumSize: maximumSize)
                case .lz4: try LZ4FrameDecompressor.decompress(input, maximumSize: maximumSize)
                case .zstd: try ZstdDecompressor.decompress(input, maximumSize: maximumSize)
                case .snappy: try SnappyDecompressor.decompress(input, maximumSize: maximumSize)
                case .none: Array(input)
                }
            }
            return ByteBuffer(bytes: bytes)
        } catch let error as CompressionError {
            throw context.error(.compression, error.description, field: "records")
        }
    }

    private static func decodeRecord(_ reader: inout KafkaReader, index: Int) throws -> Record {
        let field = "records[\(index)]"
        let length = Int(try reader.varint(field + ".length"))
        guard length >= 0 else { throw reader.error(.corruptBatch, "negative record length \(length)", field: field) }
        var body = try reader.child(field, length: length, context: "\(reader.context)[\(index)]")
        let attributes = try body.int8("attributes")
        let timestampDelta = try body.varlong("timestamp_delta")
        let offsetDelta = try body.varint("offset_delta")
        let key = try nullableVarintBytes(&body, "key")
        let value = try nullableVarintBytes(&body, "value")
        let headerCount = Int(try body.varint("headers_count"))
        guard headerCount >= 0, headerCount <= body.remaining else {
            throw body.error(.corruptBatch, "header count \(headerCount) with \(body.remaining) bytes left", field: "headers_count")
        }
        var headers: [RecordHeader] = []
        headers.reserveCapacity(min(headerCount, 16))
        for headerIndex in 0..<headerCount {
            let keyLength = Int(try body.varint("headers[\(headerIndex)].key_length"))
            guard keyLength >= 0 else {
                throw body.error(.corruptBatch, "negative header key length", field: "headers[\(headerIndex)]")
            }
            let keyBytes = try body.slice("headers[\(headerIndex)].key", length: keyLength)
            guard let key = keyBytes.withUnsafeReadableBytes({ String(validating: $0, as: UTF8.self) }) else {
                throw body.error(.invalidString, "header key is not UTF-8", field: "headers[\(headerIndex)].key")
            }
            headers.append(RecordHeader(key: key, value: try nullableVarintBytes(&body, "headers[\(headerIndex)].value")))
        }
        guard body.remaining == 0 else {
            throw body.error(.corruptBatch, "\(body.remaining) bytes left inside the record", field: field)
        }
        return Record(
            attributes: attributes, timestampDelta: timestampDelta, offsetDelta: offsetDelta, key: key, value: value,
            headers: headers)
    }

    private static func nullableVarintBytes(_ reader: inout KafkaReader, _ field: String) throws -> [UInt8]? {
        let length = Int(try reader.varint(field + "_length"))
        if length == -1 { return nil }
        guard length >= 0 else { throw reader.error(.corruptBatch, "length \(length)", field: field) }
        return try reader.byteArray(field, length: length)
    }
}
