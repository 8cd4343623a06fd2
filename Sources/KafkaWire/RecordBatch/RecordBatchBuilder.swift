import NIOCore

/// Accumulates records into the uncompressed body of a v2 record batch, fast: each record is sized first,
/// then written with one capacity check into raw storage (no per-record buffer bookkeeping).
///
/// ``seal(with:)`` compresses the records and fills in everything but the producer-side fields
/// (producer id, epoch, base sequence), which ``SealedRecordBatch/stamp(baseOffset:partitionLeaderEpoch:producerId:producerEpoch:baseSequence:isTransactional:)``
/// writes, with the CRC, when the batch is sent (they can change between retries).
public struct RecordBatchBuilder: Sendable {
    /// The memory holding the encoded records (the header is added when sealing).
    private var storage: RecordsStorage
    /// Bytes of records written. Kept in the struct, not in the storage object, so that the hot path
    /// touches no class stored property that needs a dynamic exclusivity check.
    private var count = 0
    /// Number of records appended.
    public private(set) var recordCount: Int32 = 0
    /// Timestamp of the first record (the batch's base timestamp).
    public private(set) var baseTimestamp: Int64 = 0
    /// Largest timestamp appended.
    public private(set) var maxTimestamp: Int64 = 0
    private let allocator: ByteBufferAllocator

    /// Makes an empty builder with room for `capacity` bytes of records before it grows.
    public init(capacity: Int = 16 * 1024, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        storage = RecordsStorage(capacity: capacity)
        self.allocator = allocator
    }

    /// Size of the uncompressed batch so far, header included.
    public var sizeInBytes: Int { RecordBatchLayout.headerSize + count }

    /// Whether no record was appended.
    public var isEmpty: Bool { recordCount == 0 }

    /// Bytes of records the builder holds room for before it must grow.
    public var capacity: Int { storage.capacity }

    /// Drops every record, keeping the memory (when not shared) for the next batch.
    public mutating func reset() {
        if !isKnownUniquelyReferenced(&storage) {
            // Shared with a copy that still reads it: let the copy keep it, start small.
            storage = RecordsStorage(capacity: 64)
        }
        count = 0
        recordCount = 0
        baseTimestamp = 0
        maxTimestamp = 0
    }

    /// The size a record with these parts adds to the batch (length varint included), for deciding whether
    /// it still fits before appending. Use the `timestamp` the record will be appended with.
    public func sizeOfRecord(timestamp: Int64, keyLength: Int, valueLength: Int, headerCount: Int, headersSize: Int) -> Int {
        let delta = recordCount == 0 ? 0 : timestamp &- baseTimestamp
        let body = Record.bodySize(
            timestampDelta: delta, offsetDelta: recordCount, keyLength: keyLength, valueLength: valueLength,
            headerCount: headerCount, headersSize: headersSize)
        return KafkaVarint.size(signed: Int64(body)) + body
    }

    /// An upper bound of the size a record with these parts adds to any batch (its timestamp and offset
    /// deltas taken at their longest), for reserving memory before choosing the batch.
    public static func estimatedRecordSize(keyLength: Int, valueLength: Int, headerCount: Int, headersSize: Int) -> Int {
        let body = 1 + KafkaVarint.maximumLength64 + KafkaVarint.maximumLength32
            + KafkaVarint.size(signed: Int64(keyLength)) + max(keyLength, 0)
            + KafkaVarint.size(signed: Int64(valueLength)) + max(valueLength, 0)
            + KafkaVarint.size(signed: Int64(headerCount)) + headersSize
        return KafkaVarint.size(signed: Int64(body)) + body
    }

    /// Appends a record. `key`/`value` `nil` are null. `headersSize` is the encoded size of the
    /// `headerCount` headers, which `writeHeaders` writes at the pointer it gets (exactly `headersSize` bytes).
    /// This is the primitive every other `append` builds on; the agent uses it to write its per-line
    /// headers without allocating.
    @inlinable
    public mutating func append(
        timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headerCount: Int,
        headersSize: Int, writeHeaders: (UnsafeMutableRawPointer) -> Void
    ) {
        appendRecord(
            timestamp: timestamp, key: key, value: value, headerCount: headerCount, headersSize: headersSize,
            writeHeaders: writeHeaders)
    }

    @usableFromInline
    mutating func appendRecord(
        timestamp: Int64, key: UnsafeRawBufferPointer?, value: UnsafeRawBufferPointer?, headerCount: Int,
        headersSize: Int, writeHeaders: (UnsafeMutableRawPointer) -> Void
    ) {
        if recordCount == 0 {
            baseTimestamp = timestamp
            maxTimestamp = timestamp
        } else if timestamp > maxTimestamp {
            maxTimestamp = timestamp
        }
        let timestampDelta = timestamp &- baseTimestamp
        let keyLength = key?.count ?? -1
        let valueLength = value?.count ?? -1
        let offsetDelta = recordCount
        let body = Record.bodySize(
            timestampDelta: timestampDelta, offsetDelta: offsetDelta, keyLength: keyLength, valueLength: valueLength,
            headerCount: headerCount, headersSize: headersSize)
        let total = KafkaVarint.size(signed: Int64(body)) + body
        if count + total > storage.capacity || !isKnownUniquelyReferenced(&storage) {
            storage = storage.copy(keeping: count, minimumCapacity: count + total)
        }
        let base = storage.pointer + count
        var position = KafkaVarint.encode(signed: Int64(body), to: base)
        base.storeBytes(of: 0, toByteOffset: position, as: UInt8.self)
        position += 1
        position += KafkaVarint.encode(signed: timestampDelta, to: base + position)
        position += KafkaVarint.encode(signed: Int64(offsetDelta), to: base + position)
        position += KafkaVarint.encode(signed: Int64(keyLength), to: base + position)
        if let key, key.count > 0 {
            (base + position).copyMemory(from: key.baseAddress!, byteCount: key.count)
            position += key.count
        }
        position += KafkaVarint.encode(signed: Int64(valueLength), to: base + position)
        if let value, value.count > 0 {
            (base + position).copyMemory(from: value.baseAddress!, byteCount: value.count)
            position += value.count
        }
        position += KafkaVarint.encode(signed: Int64(headerCount), to: base + position)
        if headersSize > 0 {
            writeHeaders(base + position)
        }
        count += position + headersSize
        recordCount += 1
    }

    /// Appends a record with headers given as values.
    public mutating func append(timestamp: Int64, key: [UInt8]?, value: [UInt8]?, headers: [RecordHeader] = []) {
        let headersSize = headers.reduce(0) { $0 + $1.encodedSize }
        func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
            guard let bytes else { return body(nil) }
            return bytes.withUnsafeBytes { body($0) }
        }
        withOptionalBytes(key) { key in
            withOptionalBytes(value) { value in
                appendRecord(
                    timestamp: timestamp, key: key, value: value, headerCount: headers.count, headersSize: headersSize
                ) { pointer in
                    RecordHeader.write(headers, to: pointer)
                }
            }
        }
    }

    /// Compresses the records with `compressor` (for `none`: copies them) into a new buffer after the
    /// batch header, and fills in the header fields known now: batch length, magic, attributes, last offset
    /// delta, timestamps, record count. The producer fields and the CRC are written by
    /// ``SealedRecordBatch/stamp(baseOffset:partitionLeaderEpoch:producerId:producerEpoch:baseSequence:isTransactional:)``.
    ///
    /// The builder is left empty, ready for the next batch (it keeps its memory).
    public mutating func seal(with compressor: BatchCompressor) throws -> SealedRecordBatch {
        let header = RecordBatchLayout.headerSize
        let records = UnsafeRawBufferPointer(start: storage.pointer, count: count)
        let uncompressedSize = header + count
        let bound = compressor.maximumCompressedSize(records.count)
        var output = allocator.buffer(capacity: header + bound)
        output.writeRepeatingByte(0, count: header)
        try output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { destination in
            try compressor.compress(records, into: UnsafeMutableRawBufferPointer(rebasing: destination[0..<bound]))
        }
        let attributes = RecordBatchAttributes(compression: compressor.compression)
        output.setInteger(Int32(output.readableBytes - RecordBatchLayout.logOverhead), at: RecordBatchLayout.batchLength)
        output.setInteger(RecordBatchLayout.currentMagic, at: RecordBatchLayout.magic)
        output.setInteger(attributes.rawValue, at: RecordBatchLayout.attributes)
        output.setInteger(max(recordCount - 1, 0), at: RecordBatchLayout.lastOffsetDelta)
        output.setInteger(baseTimestamp, at: RecordBatchLayout.baseTimestamp)
        output.setInteger(maxTimestamp, at: RecordBatchLayout.maxTimestamp)
        output.setInteger(recordCount, at: RecordBatchLayout.recordCount)
        let sealed = SealedRecordBatch(
            buffer: output, recordCount: recordCount, compression: compressor.compression,
            uncompressedSize: uncompressedSize)
        reset()
        return sealed
    }
}

extension RecordHeader {
    /// Writes `headers` in record encoding at `pointer` (room for their ``encodedSize`` is the caller's).
    public static func write(_ headers: [RecordHeader], to pointer: UnsafeMutableRawPointer) {
        var position = 0
        for header in headers {
            let keyLength = header.key.utf8.count
            position += KafkaVarint.encode(signed: Int64(keyLength), to: pointer + position)
            var key = header.key
            key.withUTF8 { utf8 in
                if utf8.count > 0 { (pointer + position).copyMemory(from: utf8.baseAddress!, byteCount: utf8.count) }
            }
            position += keyLength
            position += KafkaVarint.encode(signed: Int64(header.value?.count ?? -1), to: pointer + position)
            if let value = header.value, !value.isEmpty {
                value.withUnsafeBytes { (pointer + position).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
                position += value.count
            }
        }
    }
}

/// Raw memory for the records of a builder: a class only so that the memory is freed once and a shared
/// builder can tell (by uniqueness) that it must copy before writing. Its properties are constants, so
/// reading them on the hot path costs no exclusivity check; growing makes a new object.
final class RecordsStorage: @unchecked Sendable {
    let pointer: UnsafeMutableRawPointer
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 64)
        pointer = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { pointer.deallocate() }

    /// A new storage of at least `minimumCapacity` bytes (doubling), holding the first `count` bytes of this one.
    func copy(keeping count: Int, minimumCapacity: Int) -> RecordsStorage {
        var newCapacity = capacity
        while newCapacity < minimumCapacity { newCapacity *= 2 }
        let other = RecordsStorage(capacity: newCapacity)
        other.pointer.copyMemory(from: pointer, byteCount: count)
        return other
    }
}
