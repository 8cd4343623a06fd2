import CCRC32C
import FileTailing

extension CheckpointFormat {
    /// The header fields of a checkpoint file whose header checksum verified.
    public struct Header: Hashable, Sendable {
        /// Format version.
        public var version: UInt16
        /// Header length (where the payload starts).
        public var headerLength: Int
        /// Commit number.
        public var generation: UInt64
        /// When it was written.
        public var writtenAt: WallClockTime
        /// Payload length in bytes.
        public var payloadLength: UInt64
        /// Entries announced.
        public var entryCount: Int
        /// CRC-32C of the payload.
        public var payloadChecksum: UInt32
    }

    /// Decodes and verifies the header of a checkpoint file.
    /// Throws ``CheckpointError/Code/corrupt`` for anything torn, zeroed or damaged, and
    /// ``CheckpointError/Code/unsupportedVersion`` for a newer format.
    public static func decodeHeader(_ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(CheckpointError) -> Header {
        /// A corruption error at `offset`.
        func corrupt(_ message: String, at offset: Int = 0) -> CheckpointError {
            CheckpointError(code: .corrupt, message: message, path: path, operation: "decode", byteOffset: offset)
        }
        if bytes.isEmpty { throw corrupt("checkpoint file is empty") }
        if !bytes.contains(where: { $0 != 0 }) { throw corrupt("checkpoint file is all zeros (\(bytes.count) bytes)") }
        guard bytes.count >= headerLength else {
            throw corrupt("checkpoint file is truncated: \(bytes.count) bytes, shorter than its header", at: bytes.count)
        }
        guard bytes.prefix(magic.count).elementsEqual(magic) else { throw corrupt("checkpoint file has no FERRYCKP magic") }
        var reader = CheckpointByteReader(bytes, index: magic.count)
        guard let version = reader.readUInt16(), let length = reader.readUInt16(), let flags = reader.readUInt32(),
              let generation = reader.readUInt64(), let written = reader.readUInt64(), let payloadLength = reader.readUInt64(),
              let entryCount = reader.readUInt32(), let payloadChecksum = reader.readUInt32(),
              let headerChecksum = reader.readUInt32()
        else { throw corrupt("checkpoint header is truncated", at: reader.index) }
        let computed = ferry_crc32c_extend(0, bytes.baseAddress, 48)
        guard computed == headerChecksum else { throw corrupt("checkpoint header checksum mismatch", at: 48) }
        guard version <= Self.version else {
            throw CheckpointError(
                code: .unsupportedVersion,
                message: "checkpoint format version \(version) is newer than this Ferry reads (\(Self.version))",
                path: path, operation: "decode", byteOffset: 8
            )
        }
        guard version >= 1, Int(length) >= headerLength, flags == 0 else {
            throw corrupt("checkpoint header has invalid version, length or flags", at: 8)
        }
        return Header(
            version: version, headerLength: Int(length), generation: generation,
            writtenAt: WallClockTime(millisecondsSinceEpoch: Int64(bitPattern: written)),
            payloadLength: payloadLength, entryCount: Int(entryCount), payloadChecksum: payloadChecksum
        )
    }

    /// Decodes and verifies a complete checkpoint file.
    public static func decode(_ bytes: UnsafeRawBufferPointer, path: String? = nil) throws(CheckpointError) -> CheckpointSnapshot {
        let header = try decodeHeader(bytes, path: path)
        /// A corruption error at `offset`.
        func corrupt(_ message: String, at offset: Int) -> CheckpointError {
            CheckpointError(code: .corrupt, message: message, path: path, operation: "decode", byteOffset: offset)
        }
        let expected = UInt64(header.headerLength).addingReportingOverflow(header.payloadLength)
        guard !expected.overflow, expected.partialValue == UInt64(bytes.count) else {
            throw corrupt(
                "checkpoint file is \(bytes.count) bytes, its header announces \(expected.partialValue)",
                at: min(bytes.count, Int(clamping: expected.partialValue))
            )
        }
        let payload = UnsafeRawBufferPointer(rebasing: bytes[header.headerLength...])
        guard ferry_crc32c_extend(0, payload.baseAddress, payload.count) == header.payloadChecksum else {
            throw corrupt("checkpoint payload checksum mismatch", at: header.headerLength)
        }
        var reader = CheckpointByteReader(payload)
        guard let entries = decodeEntries(&reader, count: header.entryCount), reader.remaining == 0 else {
            throw corrupt("checkpoint payload is malformed", at: header.headerLength + reader.index)
        }
        return CheckpointSnapshot(generation: header.generation, writtenAt: header.writtenAt, entries: entries)
    }

    /// The smallest encoded entry: flags, device, inode, fingerprint length (1 byte each), fingerprint hash
    /// (8), committed offset, known size, marker length, updated-at, input index, shared path length and
    /// suffix length (1 byte each).
    static let minimumEntryLength = 19

    /// Decodes the payload, leaving `reader` where it stopped; nil on the first malformed value.
    static func decodeEntries(_ reader: inout CheckpointByteReader, count: Int) -> [CheckpointEntry]? {
        guard let nameCount = reader.readVarint(), nameCount <= UInt64(reader.remaining) else { return nil }
        var names: [String] = []
        names.reserveCapacity(Int(nameCount))
        for _ in 0..<nameCount {
            guard let length = reader.readVarint(), length <= UInt64(reader.remaining),
                  let raw = reader.readBytes(Int(length))
            else { return nil }
            names.append(String(decoding: raw, as: UTF8.self))
        }
        guard let base = reader.readZigzag() else { return nil }
        // Each entry takes at least `minimumEntryLength` bytes: refuse counts the payload cannot hold
        // before reserving memory for them.
        guard count <= reader.remaining / minimumEntryLength else { return nil }
        var entries: [CheckpointEntry] = []
        entries.reserveCapacity(count)
        var device: UInt64 = 0
        var inode: UInt64 = 0
        var path: [UInt8] = []
        for _ in 0..<count {
            guard let flags = reader.readByte(), flags & ~3 == 0,
                  let deviceDelta = reader.readZigzag(), let inodeDelta = reader.readZigzag(),
                  let fingerprintLength = reader.readVarint(),
                  fingerprintLength <= UInt64(FileFingerprint.maximumLength),
                  let fingerprintHash = reader.readUInt64(),
                  let committed = reader.readOffset(), let knownSize = reader.readOffset(),
                  let markerLength = reader.readByte(), Int(markerLength) <= OffsetMarker.maximumLength,
                  Int64(markerLength) <= committed
            else { return nil }
            var markerHash = ContentHash.empty
            if markerLength > 0 {
                guard let hash = reader.readUInt64() else { return nil }
                markerHash = hash
            }
            guard let updated = reader.readZigzag() else { return nil }
            var lastAck: WallClockTime?
            var gone: WallClockTime?
            if flags & 1 != 0 {
                guard let delta = reader.readZigzag() else { return nil }
                lastAck = WallClockTime(millisecondsSinceEpoch: base &+ delta)
            }
            if flags & 2 != 0 {
                guard let delta = reader.readZigzag() else { return nil }
                gone = WallClockTime(millisecondsSinceEpoch: base &+ delta)
            }
            guard let nameIndex = reader.readVarint(), nameIndex < nameCount,
                  let shared = reader.readVarint(), shared <= UInt64(path.count),
                  let suffixLength = reader.readVarint(), suffixLength <= UInt64(reader.remaining),
                  let suffix = reader.readBytes(Int(suffixLength))
            else { return nil }
            path.removeLast(path.count - Int(shared))
            path.append(contentsOf: suffix)
            device = device &+ UInt64(bitPattern: deviceDelta)
            inode = inode &+ UInt64(bitPattern: inodeDelta)
            entries.append(
                CheckpointEntry(
                    identity: FileIdentity(
                        device: device, inode: inode,
                        fingerprint: FileFingerprint(length: Int(fingerprintLength), hash: fingerprintHash)
                    ),
                    path: String(decoding: path, as: UTF8.self),
                    inputName: names[Int(nameIndex)],
                    committedOffset: committed,
                    marker: OffsetMarker(length: Int(markerLength), hash: markerHash),
                    knownSize: knownSize,
                    updatedAt: WallClockTime(millisecondsSinceEpoch: base &+ updated),
                    lastAcknowledgedAt: lastAck,
                    goneSince: gone
                )
            )
        }
        return entries
    }
}
