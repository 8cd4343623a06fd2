import FileTailing

extension CheckpointStore {
    /// What one slot holds.
    struct Slot {
        var snapshot: CheckpointSnapshot?
        var payload: [UInt8]?
        var problem: CheckpointError?
    }

    /// Reads and decodes both slots; a missing slot is empty, a damaged one carries its error.
    static func readSlots(directory: String, fileSystem: any CheckpointFileSystem) -> [Slot] {
        slotNames.map { name in
            let path = directory + "/" + name
            let bytes: [UInt8]?
            do throws(FileIOFailure) {
                bytes = try fileSystem.readFile(atPath: path)
            } catch {
                return Slot(problem: CheckpointError(
                    code: .readFailed, message: "cannot read the checkpoint: \(error)", path: path,
                    operation: error.operation, errno: error.errno
                ))
            }
            guard let bytes else { return Slot() }
            do throws(CheckpointError) {
                let snapshot = try bytes.withUnsafeBytes { raw in
                    Result { () throws(CheckpointError) in try CheckpointFormat.decode(raw, path: path) }
                }.get()
                let headerLength = bytes.withUnsafeBytes { raw in
                    Int(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 10, as: UInt16.self)))
                }
                return Slot(snapshot: snapshot, payload: Array(bytes[headerLength...]))
            } catch {
                return Slot(problem: error)
            }
        }
    }

    /// The index of the valid slot with the highest generation.
    static func newestValid(_ slots: [Slot]) -> Int? {
        var best: Int?
        for (index, slot) in slots.enumerated() {
            guard let generation = slot.snapshot?.generation else { continue }
            if let current = best, let bestGeneration = slots[current].snapshot?.generation, bestGeneration >= generation {
                continue
            }
            best = index
        }
        return best
    }
}
