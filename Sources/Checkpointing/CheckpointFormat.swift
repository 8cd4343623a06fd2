import CCRC32C
import FileTailing

/// The on-disk checkpoint format, version 1: a fixed header followed by a compact payload.
///
///     header (52 bytes, little-endian)
///       0  magic "FERRYCKP"          8
///       8  format version (1)        u16
///      10  header length (52)        u16
///      12  flags (0)                 u32
///      16  generation                u64
///      24  written at, ms            i64
///      32  payload length            u64
///      40  entry count               u32
///      44  CRC-32C of the payload    u32
///      48  CRC-32C of bytes 0..<48   u32
///     payload
///       input names: varint count, then (varint length, UTF-8 bytes) each
///       base time: zigzag varint ms (entry times are stored relative to it)
///       entries, each:
///         flags u8 (bit 0: has last-ack time, bit 1: has gone-since time)
///         device, inode: zigzag varint deltas from the previous entry
///         fingerprint length varint, fingerprint hash u64
///         committed offset varint, known size varint
///         marker length u8, marker hash u64 (absent when the length is 0)
///         updated-at, [last-ack], [gone-since]: zigzag varint deltas from the base time
///         input name index varint
///         path: varint bytes shared with the previous entry's path, varint suffix length, suffix
///
/// A file is valid only if its length is exactly header length + payload length, both checksums match,
/// and the payload decodes to exactly the announced entries. Anything else is ``CheckpointError/Code/corrupt``.
public enum CheckpointFormat {
    /// The 8 bytes every checkpoint file starts with.
    public static let magic: [UInt8] = Array("FERRYCKP".utf8)
    /// The version this code writes and reads.
    public static let version: UInt16 = 1
    /// The length of the version-1 header.
    public static let headerLength = 52

    /// Encodes the payload of `entries` (independent of generation and time, so that two commits of the
    /// same entries give the same bytes). Values the format cannot hold are sanitised, never trapped on:
    /// negative offsets become 0, an invalid marker becomes ``OffsetMarker/none``.
    public static func encodePayload(_ entries: [CheckpointEntry]) -> [UInt8] {
        var names: [String: Int] = [:]
        var nameList: [String] = []
        var indices = [Int](repeating: 0, count: entries.count)
        var lastName: String?
        var lastIndex = 0
        for (position, entry) in entries.enumerated() {
            if entry.inputName != lastName {
                if let known = names[entry.inputName] {
                    lastIndex = known
                } else {
                    lastIndex = nameList.count
                    names[entry.inputName] = lastIndex
                    nameList.append(entry.inputName)
                }
                lastName = entry.inputName
            }
            indices[position] = lastIndex
        }

        var writer = CheckpointByteWriter(capacity: 64 + entries.count * 72)
        writer.writeVarint(UInt64(nameList.count))
        for var name in nameList {
            name.withUTF8 { utf8 in
                writer.writeVarint(UInt64(utf8.count))
                writer.writeBytes(UnsafeRawBufferPointer(utf8))
            }
        }
        let base = entries.first?.updatedAt.millisecondsSinceEpoch ?? 0
        writer.writeZigzag(base)

        var previousDevice: UInt64 = 0
        var previousInode: UInt64 = 0
        var previousPath = ""
        for (position, entry) in entries.enumerated() {
            var flags: UInt8 = 0
            if entry.lastAcknowledgedAt != nil { flags |= 1 }
            if entry.goneSince != nil { flags |= 2 }
            writer.writeByte(flags)
            writer.writeZigzag(Int64(bitPattern: entry.identity.device &- previousDevice))
            writer.writeZigzag(Int64(bitPattern: entry.identity.inode &- previousInode))
            previousDevice = entry.identity.device
            previousInode = entry.identity.inode
            let fingerprintLength = min(max(entry.identity.fingerprint.length, 0), FileFingerprint.maximumLength)
            writer.writeVarint(UInt64(fingerprintLength))
            writer.writeUInt64(entry.identity.fingerprint.hash)
            let committed = max(entry.committedOffset, 0)
            writer.writeVarint(UInt64(committed))
            writer.writeVarint(UInt64(max(entry.knownSize, 0)))
            let marker = entry.marker.isValid(at: committed) ? entry.marker : .none
            writer.writeByte(UInt8(marker.length))
            if marker.length > 0 { writer.writeUInt64(marker.hash) }
            writer.writeZigzag(entry.updatedAt.millisecondsSinceEpoch &- base)
            if let time = entry.lastAcknowledgedAt { writer.writeZigzag(time.millisecondsSinceEpoch &- base) }
            if let time = entry.goneSince { writer.writeZigzag(time.millisecondsSinceEpoch &- base) }
            writer.writeVarint(UInt64(indices[position]))
            var path = entry.path
            path.withUTF8 { current in
                previousPath.withUTF8 { previous in
                    let limit = min(current.count, previous.count)
                    var shared = 0
                    while shared < limit, current[shared] == previous[shared] { shared += 1 }
                    writer.writeVarint(UInt64(shared))
                    writer.writeVarint(UInt64(current.count - shared))
                    writer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(current)[shared...]))
                }
            }
            previousPath = path
        }
        return writer.bytes
    }

    /// The header for `payload`, holding `entryCount` entries.
    public static func encodeHeader(
        generation: UInt64, writtenAt: WallClockTime, entryCount: Int, payload: [UInt8]
    ) -> [UInt8] {
        var writer = CheckpointByteWriter(capacity: headerLength)
        magic.withUnsafeBytes { writer.writeBytes($0) }
        writer.writeUInt16(version)
        writer.writeUInt16(UInt16(headerLength))
        writer.writeUInt32(0)
        writer.writeUInt64(generation)
        writer.writeUInt64(UInt64(bitPattern: writtenAt.millisecondsSinceEpoch))
        writer.writeUInt64(UInt64(payload.count))
        writer.writeUInt32(UInt32(clamping: entryCount))
        writer.writeUInt32(payload.withUnsafeBytes { ferry_crc32c_extend(0, $0.baseAddress, $0.count) })
        let headerCRC = writer.bytes.withUnsafeBytes { ferry_crc32c_extend(0, $0.baseAddress, $0.count) }
        writer.writeUInt32(headerCRC)
        return writer.bytes
    }

    /// The complete file for `snapshot` (header + payload).
    public static func encode(_ snapshot: CheckpointSnapshot) -> [UInt8] {
        let payload = encodePayload(snapshot.entries)
        return encodeHeader(
            generation: snapshot.generation, writtenAt: snapshot.writtenAt,
            entryCount: snapshot.entries.count, payload: payload
        ) + payload
    }
}
