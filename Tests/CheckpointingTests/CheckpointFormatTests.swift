import CCRC32C
import Checkpointing
import FerryTestSupport
import FileTailing
import Testing

@Suite("Checkpoint format")
struct CheckpointFormatTests {
    func decode(_ bytes: [UInt8]) throws(CheckpointError) -> CheckpointSnapshot {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try CheckpointFormat.decode(raw) }
        }.get()
    }

    func decodeError(_ bytes: [UInt8]) -> CheckpointError? {
        do {
            _ = try decode(bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test("a snapshot round-trips exactly", arguments: [0, 1, 2, 500] as [Int])
    func roundTrip(count: Int) throws {
        let snapshot = CheckpointSnapshot(
            generation: 42, writtenAt: CheckpointSamples.time,
            entries: CheckpointSamples.entries(count: count, seed: UInt64(count) + 11)
        )
        let bytes = CheckpointFormat.encode(snapshot)
        #expect(try decode(bytes) == snapshot)
    }

    @Test("extreme values round-trip (device, inode and times at their limits)")
    func extremes() throws {
        var entries = CheckpointSamples.entries(count: 4, seed: 3)
        entries[0].identity = FileIdentity(device: .max, inode: 0, fingerprint: FileFingerprint(length: 1024, hash: .max))
        entries[1].identity = FileIdentity(device: 0, inode: .max, fingerprint: .empty)
        entries[1].updatedAt = WallClockTime(millisecondsSinceEpoch: .min)
        entries[2].updatedAt = WallClockTime(millisecondsSinceEpoch: .max)
        entries[2].goneSince = WallClockTime(millisecondsSinceEpoch: .min)
        entries[3].committedOffset = .max
        entries[3].knownSize = .max
        entries[3].path = ""
        let snapshot = CheckpointSnapshot(generation: .max, writtenAt: WallClockTime(millisecondsSinceEpoch: -1), entries: entries)
        #expect(try decode(CheckpointFormat.encode(snapshot)) == snapshot)
    }

    @Test("many minimal entries (every field at its shortest encoding) round-trip")
    func minimalEntries() throws {
        let entry = CheckpointEntry(
            identity: FileIdentity(device: 0, inode: 0, fingerprint: .empty), path: "", inputName: "",
            committedOffset: 0, marker: .none, knownSize: 0, updatedAt: WallClockTime(millisecondsSinceEpoch: 0)
        )
        let snapshot = CheckpointSnapshot(generation: 1, writtenAt: CheckpointSamples.time, entries: Array(repeating: entry, count: 1000))
        let bytes = CheckpointFormat.encode(snapshot)
        #expect(bytes.count < CheckpointFormat.headerLength + 10 + 1000 * 20)
        #expect(try decode(bytes) == snapshot)
    }

    @Test("values the format cannot hold are sanitised, never written as a file that fails to load")
    func sanitised() throws {
        var entries = CheckpointSamples.entries(count: 2, seed: 5)
        entries[0].committedOffset = -5
        entries[0].marker = OffsetMarker(length: 10, hash: 1)
        entries[1].marker = OffsetMarker(length: 200, hash: 1)
        entries[1].knownSize = -1
        let decoded = try decode(CheckpointFormat.encode(CheckpointSnapshot(generation: 1, writtenAt: CheckpointSamples.time, entries: entries)))
        #expect(decoded.entries[0].committedOffset == 0)
        #expect(decoded.entries[0].marker == .none)
        #expect(decoded.entries[1].marker == .none)
        #expect(decoded.entries[1].knownSize == 0)
    }

    @Test("the payload depends only on the entries, not on generation or time")
    func payloadIsStable() {
        let entries = CheckpointSamples.entries(count: 50, seed: 9)
        #expect(CheckpointFormat.encodePayload(entries) == CheckpointFormat.encodePayload(entries))
        var changed = entries
        changed[49].committedOffset += 1
        #expect(CheckpointFormat.encodePayload(changed) != CheckpointFormat.encodePayload(entries))
    }

    @Test("a file cut at every length is detected as corrupt")
    func truncatedEverywhere() {
        let bytes = CheckpointFormat.encode(CheckpointSnapshot(generation: 3, writtenAt: CheckpointSamples.time, entries: CheckpointSamples.entries(count: 20, seed: 1)))
        for length in 0..<bytes.count {
            let error = decodeError(Array(bytes[0..<length]))
            #expect(error?.code == .corrupt, "cut at \(length) of \(bytes.count)")
        }
        #expect(decodeError(bytes + [0])?.code == .corrupt, "trailing byte")
    }

    @Test("every single-bit flip is detected", arguments: [7, 8] as [UInt64])
    func bitFlips(seed: UInt64) {
        let bytes = CheckpointFormat.encode(CheckpointSnapshot(generation: 3, writtenAt: CheckpointSamples.time, entries: CheckpointSamples.entries(count: 30, seed: seed)))
        for index in 0..<bytes.count {
            for bit in [0, 3, 7] {
                var damaged = bytes
                damaged[index] ^= UInt8(1 << bit)
                let error = decodeError(damaged)
                #expect(error != nil, "byte \(index) bit \(bit), seed \(seed)")
            }
        }
    }

    @Test("zero-filled and empty files are detected and described")
    func zeros() {
        #expect(decodeError([])?.message.contains("empty") == true)
        let error = decodeError([UInt8](repeating: 0, count: 4096))
        #expect(error?.code == .corrupt)
        #expect(error?.message.contains("all zeros") == true)
    }

    @Test("random garbage, even with a valid header, never traps and is rejected")
    func garbage() {
        var random = SeededGenerator(seed: 77)
        for round in 0..<2000 {
            let payload = random.bytes(Int.random(in: 0...200, using: &random))
            let header = CheckpointFormat.encodeHeader(
                generation: 1, writtenAt: CheckpointSamples.time, entryCount: Int.random(in: 0...5, using: &random), payload: payload
            )
            if let snapshot = try? decode(header + payload) {
                // Only possible if the garbage happens to be a well-formed payload: it must then re-encode.
                #expect(CheckpointFormat.encodePayload(snapshot.entries).count <= payload.count, "round \(round)")
            }
            #expect(decodeError(random.bytes(Int.random(in: 0...300, using: &random))) != nil, "round \(round)")
        }
    }

    @Test("a newer format version is reported as unsupported, not as corruption")
    func newerVersion() {
        var bytes = CheckpointFormat.encode(CheckpointSnapshot(generation: 1, writtenAt: CheckpointSamples.time, entries: []))
        bytes[8] = 2
        let crc = bytes.withUnsafeBytes { ferry_crc32c_extend(0, $0.baseAddress, 48) }
        withUnsafeBytes(of: crc.littleEndian) { raw in
            for index in 0..<4 { bytes[48 + index] = raw[index] }
        }
        #expect(decodeError(bytes)?.code == .unsupportedVersion)
    }
}
