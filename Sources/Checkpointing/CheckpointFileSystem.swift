import FileTailing

/// The system calls the checkpoint store makes, behind a protocol so that tests can fail or cut short any
/// one of them (fault injection, simulated power loss). ``PosixCheckpointFileSystem`` is the real one.
///
/// Every method reports a failure as the `errno` of the call (``FileIOFailure``); none of them retries
/// except on `EINTR`.
public protocol CheckpointFileSystem {
    /// The whole content of the file at `path`, or nil if it does not exist.
    func readFile(atPath path: String) throws(FileIOFailure) -> [UInt8]?
    /// Creates or truncates `path` for writing (mode 0600) and returns its descriptor.
    func createFile(atPath path: String) throws(FileIOFailure) -> Int32
    /// One `write(2)`: returns how many bytes were written (possibly fewer than asked).
    func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) throws(FileIOFailure) -> Int
    /// `fsync(2)`.
    func synchronize(_ descriptor: Int32) throws(FileIOFailure)
    /// `close(2)`.
    func close(_ descriptor: Int32) throws(FileIOFailure)
    /// `rename(2)`: atomically replaces `destination`.
    func rename(_ source: String, to destination: String) throws(FileIOFailure)
    /// `unlink(2)`; a missing file is not an error.
    func remove(atPath path: String) throws(FileIOFailure)
    /// Opens a directory (read-only) so that it can be synchronised.
    func openDirectory(atPath path: String) throws(FileIOFailure) -> Int32
}
