#if canImport(Glibc)
import Glibc
#endif

/// A one-off scan of what the inputs match now, without tailing anything: for the agent's resume plan
/// (every file the initial scan will find, at once) and for `ferry check` (which files, from where).
public enum FileDiscovery {
    /// What the scan found.
    public struct Result: Sendable {
        /// Matching regular files, each once (a file reached by two paths is listed under the first), in
        /// walk order, with `foundByInitialScan` set.
        public var files: [DiscoveredFile]
        /// Files matched but not readable now (path, errno).
        public var unreadable: [(path: String, errno: Int32)]
        /// Directories that could not be listed (path, errno).
        public var deniedDirectories: [(path: String, errno: Int32)]
        /// Symbolic link loops met (not followed).
        public var loops: [String]
    }

    /// Scans the directories `configuration`'s include patterns can match in. Throws only for a bad
    /// configuration (see ``TailerConfiguration/validate()``).
    public static func scan(_ configuration: TailerConfiguration) throws(TailingError) -> Result {
        if let problem = configuration.validate().first { throw problem }
        let matcher = try InputMatcher(configuration.inputs)
        let found = DirectoryScanner(matcher: matcher).scanAll()
        var files: [DiscoveredFile] = []
        var unreadable: [(String, Int32)] = []
        var seen = Set<InodeKey>()
        for item in found.files where seen.insert(item.status.key).inserted {
            let descriptor = open(item.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
            guard descriptor >= 0 else {
                unreadable.append((item.path, errno))
                continue
            }
            defer { close(descriptor) }
            switch FileFingerprinting.identity(descriptor: descriptor) {
            case .success(let identity):
                var info = stat()
                let size = fstat(descriptor, &info) == 0 ? Int64(info.st_size) : item.status.size
                files.append(DiscoveredFile(
                    path: item.path, input: configuration.inputs[item.input].name, identity: identity, size: size,
                    foundByInitialScan: true))
            case .failure(let failure):
                unreadable.append((item.path, failure.errno))
            }
        }
        return Result(files: files, unreadable: unreadable, deniedDirectories: found.denied, loops: found.loops)
    }
}
