import FileTailing

/// A file found on disk at start, as the agent's discovery (the tailer) reports it.
public struct ObservedFile: Hashable, Sendable {
    /// Where it was found.
    public var path: String
    /// Its identity now (device, inode, fingerprint of its first `min(size, 1024)` bytes).
    public var identity: FileIdentity
    /// Its size now.
    public var size: Int64
    /// The input that matched it.
    public var inputName: String

    /// Makes an observation.
    public init(path: String, identity: FileIdentity, size: Int64, inputName: String) {
        self.path = path
        self.identity = identity
        self.size = size
        self.inputName = inputName
    }
}
