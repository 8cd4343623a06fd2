import Checkpointing
import FileTailing

#if canImport(Glibc)
import Glibc
#endif

/// An in-memory model of one directory on a journaling filesystem, to simulate power loss.
///
/// It tracks what a running system sees (file contents and names) apart from what is durable: a file's
/// content is durable after `fsync` of the file, the set of names after `fsync` of the directory. Power
/// can be cut after any number of calls (``stepsBeforePowerLoss``); ``powerLossOutcomes()`` then lists every
/// state the disk may come back in: any prefix of the directory operations since the last directory fsync
/// may have reached the journal, and a file written since its last fsync may hold its old durable content,
/// its new content, half of it, zeros of the new length, or nothing.
final class SimulatedDisk: CheckpointFileSystem {
    struct Inode {
        var data: [UInt8]
        var durable: [UInt8]
        var dirty: Bool
    }

    private(set) var inodes: [Int: Inode] = [:]
    private(set) var names: [String: Int] = [:]
    /// The durable namespace first, then the namespace after each directory operation since.
    private var namespaceHistory: [[String: Int]] = [[:]]
    private var descriptors: [Int32: Int] = [:]
    private var nextInode = 1
    private var nextDescriptor: Int32 = 100
    /// Calls (of any kind but reads) still allowed before the power fails; nil: never fails.
    var stepsBeforePowerLoss: Int?
    /// Mutating calls made.
    private(set) var steps = 0

    init() {}

    private init(names: [String: Int], contents: [Int: [UInt8]]) {
        self.names = names
        namespaceHistory = [names]
        for (id, bytes) in contents { inodes[id] = Inode(data: bytes, durable: bytes, dirty: false) }
        nextInode = (contents.keys.max() ?? 0) + 1
    }

    private func step(_ name: String) throws(FileIOFailure) {
        if let left = stepsBeforePowerLoss {
            guard left > 0 else { throw FileIOFailure(errno: EIO, operation: "\(name) (power lost)") }
            stepsBeforePowerLoss = left - 1
        }
        steps += 1
    }

    private func directoryChanged() { namespaceHistory.append(names) }

    func readFile(atPath path: String) throws(FileIOFailure) -> [UInt8]? {
        names[path].flatMap { inodes[$0]?.data }
    }

    func createFile(atPath path: String) throws(FileIOFailure) -> Int32 {
        try step("open")
        let id: Int
        if let existing = names[path] {
            id = existing
            inodes[id]?.data = []
            inodes[id]?.dirty = true
        } else {
            id = nextInode
            nextInode += 1
            inodes[id] = Inode(data: [], durable: [], dirty: false)
            names[path] = id
            directoryChanged()
        }
        nextDescriptor += 1
        descriptors[nextDescriptor] = id
        return nextDescriptor
    }

    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(FileIOFailure) -> Int {
        try step("write")
        guard let id = descriptors[descriptor], id > 0 else { throw FileIOFailure(errno: EBADF, operation: "write") }
        inodes[id]?.data.append(contentsOf: bytes)
        inodes[id]?.dirty = true
        return bytes.count
    }

    func synchronize(_ descriptor: Int32) throws(FileIOFailure) {
        try step("fsync")
        guard let id = descriptors[descriptor] else { throw FileIOFailure(errno: EBADF, operation: "fsync") }
        if id < 0 {
            namespaceHistory = [names]
        } else if var inode = inodes[id] {
            inode.durable = inode.data
            inode.dirty = false
            inodes[id] = inode
        }
    }

    func close(_ descriptor: Int32) throws(FileIOFailure) {
        try step("close")
        descriptors.removeValue(forKey: descriptor)
    }

    func rename(_ source: String, to destination: String) throws(FileIOFailure) {
        try step("rename")
        guard let id = names.removeValue(forKey: source) else { throw FileIOFailure(errno: ENOENT, operation: "rename") }
        names[destination] = id
        directoryChanged()
    }

    func remove(atPath path: String) throws(FileIOFailure) {
        try step("unlink")
        if names.removeValue(forKey: path) != nil { directoryChanged() }
    }

    func openDirectory(atPath path: String) throws(FileIOFailure) -> Int32 {
        try step("open directory")
        nextDescriptor += 1
        descriptors[nextDescriptor] = -1
        return nextDescriptor
    }

    /// Every state the disk may be in after a power loss now, each as a fresh disk with power back.
    func powerLossOutcomes() -> [SimulatedDisk] {
        var outcomes: [SimulatedDisk] = []
        var seenNamespaces: Set<[String: Int]> = []
        for namespace in namespaceHistory where seenNamespaces.insert(namespace).inserted {
            var combinations: [[Int: [UInt8]]] = [[:]]
            for id in Set(namespace.values).sorted() {
                guard let inode = inodes[id] else { continue }
                var options = [inode.durable]
                if inode.dirty {
                    for torn in [inode.data, Array(inode.data.prefix(inode.data.count / 2)), [UInt8](repeating: 0, count: inode.data.count), []]
                    where !options.contains(torn) {
                        options.append(torn)
                    }
                }
                combinations = combinations.flatMap { partial in
                    options.map { option in
                        var next = partial
                        next[id] = option
                        return next
                    }
                }
            }
            for contents in combinations { outcomes.append(SimulatedDisk(names: namespace, contents: contents)) }
        }
        return outcomes
    }
}
