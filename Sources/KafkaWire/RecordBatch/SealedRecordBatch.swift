import CCRC32C
import NIOCore

/// A record batch whose records are encoded and compressed, ready to be stamped with the producer fields
/// and sent. Stamping is cheap (a few header writes and a CRC-32C at ~15 GB/s), so a retry after an epoch
/// bump re-stamps instead of re-encoding.
public struct SealedRecordBatch: Sendable {
    /// The whole batch: 61-byte header and the (compressed) records.
    public private(set) var buffer: ByteBuffer
    /// Number of records.
    public let recordCount: Int32
    /// The codec of the records section.
    public let compression: RecordBatchCompression
    /// Size of the batch before compression, header included.
    public let uncompressedSize: Int

    init(buffer: ByteBuffer, recordCount: Int32, compression: RecordBatchCompression, uncompressedSize: Int) {
        self.buffer = buffer
        self.recordCount = recordCount
        self.compression = compression
        self.uncompressedSize = uncompressedSize
    }

    /// Size of the batch on the wire.
    public var sizeInBytes: Int { buffer.readableBytes }

    /// Bytes allocated for the batch: sealing allocates the codec's worst case, which can be several
    /// times what compression produced.
    public var capacity: Int { buffer.capacity }

    /// Moves the batch into a smaller buffer (one copy of the compressed bytes) when at least half of its
    /// allocation and more than `slack` bytes are unused, so that batches waiting to be sent hold about
    /// what they weigh and not the codec's worst case. NIO rounds capacities up to a power of two, so the
    /// new buffer is less than twice the batch, and smaller than the old one.
    public mutating func shrink(slack: Int) {
        let unused = buffer.capacity - buffer.readableBytes
        guard unused > slack, buffer.capacity >= 2 * buffer.readableBytes else { return }
        var exact = ByteBufferAllocator().buffer(capacity: buffer.readableBytes)
        exact.writeImmutableBuffer(buffer)
        buffer = exact
    }

    /// Writes the base offset (0 from a producer), partition leader epoch, producer id, epoch and base
    /// sequence (-1 each without idempotence), the transactional bit, then the CRC-32C over attributes..end.
    public mutating func stamp(
        baseOffset: Int64 = 0, partitionLeaderEpoch: Int32 = -1, producerId: Int64 = -1, producerEpoch: Int16 = -1,
        baseSequence: Int32 = -1, isTransactional: Bool = false
    ) {
        buffer.setInteger(baseOffset, at: buffer.readerIndex + RecordBatchLayout.baseOffset)
        buffer.setInteger(partitionLeaderEpoch, at: buffer.readerIndex + RecordBatchLayout.partitionLeaderEpoch)
        let attributesIndex = buffer.readerIndex + RecordBatchLayout.attributes
        var attributes = buffer.getInteger(at: attributesIndex, as: Int16.self) ?? 0
        attributes = isTransactional ? attributes | (1 << 4) : attributes & ~(1 << 4)
        buffer.setInteger(attributes, at: attributesIndex)
        buffer.setInteger(producerId, at: buffer.readerIndex + RecordBatchLayout.producerId)
        buffer.setInteger(producerEpoch, at: buffer.readerIndex + RecordBatchLayout.producerEpoch)
        buffer.setInteger(baseSequence, at: buffer.readerIndex + RecordBatchLayout.baseSequence)
        let crc = buffer.withUnsafeReadableBytes { bytes in
            let covered = UnsafeRawBufferPointer(rebasing: bytes[RecordBatchLayout.attributes...])
            return ferry_crc32c_extend(0, covered.baseAddress, covered.count)
        }
        buffer.setInteger(crc, at: buffer.readerIndex + RecordBatchLayout.crc)
    }
}
