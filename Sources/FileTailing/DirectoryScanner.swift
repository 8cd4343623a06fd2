#if canImport(Glibc)
import Glibc
#endif

/// What `stat` says about one path.
enum PathProbe: Hashable, Sendable {
    /// A regular file (after following links); `isLink` when the path itself is a symbolic link.
    case file(FileStatus, isLink: Bool)
    /// A directory.
    case directory(FileStatus)
    /// Nothing there (or a component is not a directory).
    case missing
    /// A loop of symbolic links.
    case loop
    /// Not allowed to look (a directory on the way is not searchable).
    case denied(Int32)
    /// Something else (a FIFO, a socket, a device) or another error.
    case other

    /// `stat`s `path`, following symbolic links.
    static func of(_ path: String) -> PathProbe {
        of(AT_FDCWD, path)
    }

    /// `stat`s `name` relative to the directory `directory` (or `AT_FDCWD` and a full path), following links.
    static func of(_ directory: Int32, _ name: String, knownRegular: Bool = false) -> PathProbe {
        var info = stat()
        guard fstatat(directory, name, &info, 0) == 0 else {
            switch errno {
            case ENOENT, ENOTDIR: return .missing
            case ELOOP: return .loop
            case EACCES, EPERM: return .denied(errno)
            default: return .other
            }
        }
        let status = FileStatus(
            device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int64(info.st_size),
            linkCount: UInt64(info.st_nlink))
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            if knownRegular { return .file(status, isLink: false) }
            var linkInfo = stat()
            let isLink = fstatat(directory, name, &linkInfo, AT_SYMLINK_NOFOLLOW) == 0
                && linkInfo.st_mode & S_IFMT == S_IFLNK
            return .file(status, isLink: isLink)
        case S_IFDIR:
            return .directory(status)
        default:
            return .other
        }
    }
}

/// The outcome of a directory walk.
struct ScanResult {
    /// A matching file.
    struct Found {
        var path: String
        var input: Int
        var status: FileStatus
        var isLink: Bool
    }

    /// Matching regular files, in walk order.
    var files: [Found] = []
    /// Directories that can hold matches (to watch), including the deepest existing ancestor of a
    /// pattern's missing base directory.
    var directories: [String] = []
    /// Paths that are symbolic link loops (files, or directory links leading back to an ancestor).
    var loops: [String] = []
    /// Directories that could not be listed, with the `errno`.
    var denied: [(path: String, errno: Int32)] = []
    /// Directories holding a name that is not valid UTF-8 (skipped).
    var undecodable: [String] = []
}

/// Walks the directories the include patterns can match in, pruning with the patterns' match states.
/// Every pattern is advanced in one walk, so a directory shared by several patterns is listed once.
struct DirectoryScanner {
    /// Which input owns a file, and the exclude patterns.
    let matcher: InputMatcher
    private let patterns: [(input: Int, pattern: GlobPattern)]

    /// Makes a scanner for the include patterns of `matcher`.
    init(matcher: InputMatcher) {
        self.matcher = matcher
        self.patterns = matcher.patterns
    }

    /// Walks everything the patterns can reach.
    func scanAll() -> ScanResult {
        var result = ScanResult()
        var visited = Set<InodeKey>()
        for root in Self.roots(of: patterns.map(\.pattern.baseDirectory)) {
            let start = Self.deepestExisting(root)
            walk(start, result: &result, visited: &visited)
        }
        return result
    }

    /// Walks the subtree of `directory` (a directory that just appeared) if a pattern can match below it.
    func scan(directory: String) -> ScanResult {
        var result = ScanResult()
        var visited = Set<InodeKey>()
        walk(directory, result: &result, visited: &visited)
        return result
    }

    /// Whether a pattern can match in or below `directory`.
    func isRelevant(directory: String) -> Bool {
        patterns.contains { $0.pattern.canMatchBelow($0.pattern.state(afterDirectory: directory)) }
    }

    private func walk(_ root: String, result: inout ScanResult, visited: inout Set<InodeKey>) {
        let states = patterns.map { $0.pattern.state(afterDirectory: root) }
        guard states.enumerated().contains(where: { patterns[$0.offset].pattern.canMatchBelow($0.element) }) else {
            return
        }
        var ancestors: [InodeKey] = []
        walkDirectory(root, states: states, ancestors: &ancestors, result: &result, visited: &visited)
    }

    private func walkDirectory(
        _ directory: String, states: [GlobPattern.MatchState], ancestors: inout [InodeKey],
        result: inout ScanResult, visited: inout Set<InodeKey>
    ) {
        guard let stream = opendir(directory) else {
            if errno == EACCES || errno == EPERM { result.denied.append((directory, errno)) }
            return
        }
        defer { closedir(stream) }
        let handle = dirfd(stream)
        var info = stat()
        guard fstat(handle, &info) == 0 else { return }
        let key = InodeKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        if ancestors.contains(key) {
            result.loops.append(directory)
            return
        }
        guard visited.insert(key).inserted else { return }
        result.directories.append(directory)
        ancestors.append(key)
        defer { ancestors.removeLast() }
        let prefix = directory == "/" ? "" : directory
        var undecodable = false
        var subdirectories: [(String, [GlobPattern.MatchState])] = []
        while let entry = readdir(stream) {
            let type = entry.pointee.d_type
            let decoded: String? = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let used = raw.firstIndex(of: 0) ?? raw.count
                return String(validating: raw[..<used], as: UTF8.self)
            }
            guard let name = decoded else {
                undecodable = true
                continue
            }
            if name == "." || name == ".." { continue }
            let path = prefix + "/" + name
            let next = advance(states, by: name)
            let wantsDirectory = next.enumerated().contains { patterns[$0.offset].pattern.canMatchBelow($0.element) }
            let input = matchingInput(next, path: path)
            guard wantsDirectory || input != nil else { continue }
            switch Int32(type) {
            case Int32(DT_DIR):
                if wantsDirectory { subdirectories.append((path, next)) }
            case Int32(DT_REG):
                guard let input else { continue }
                if case .file(let status, _) = PathProbe.of(handle, name, knownRegular: true) {
                    result.files.append(.init(path: path, input: input, status: status, isLink: false))
                }
            default:
                switch PathProbe.of(handle, name) {
                case .file(let status, let isLink):
                    if let input {
                        result.files.append(.init(path: path, input: input, status: status, isLink: isLink))
                    }
                case .directory:
                    if wantsDirectory { subdirectories.append((path, next)) }
                case .loop:
                    result.loops.append(path)
                case .missing, .denied, .other:
                    break
                }
            }
        }
        if undecodable { result.undecodable.append(directory) }
        for (path, next) in subdirectories {
            walkDirectory(path, states: next, ancestors: &ancestors, result: &result, visited: &visited)
        }
    }

    private func advance(_ states: [GlobPattern.MatchState], by name: String) -> [GlobPattern.MatchState] {
        var next = states
        let component = Substring(name)
        for index in states.indices where !states[index].isDead {
            next[index] = patterns[index].pattern.advance(states[index], by: component)
        }
        return next
    }

    /// The first input (in input order) with a pattern matching in `states` that does not exclude `path`.
    private func matchingInput(_ states: [GlobPattern.MatchState], path: String) -> Int? {
        var best: Int?
        for index in states.indices where patterns[index].pattern.isMatch(states[index]) {
            let input = patterns[index].input
            if let current = best, current <= input { continue }
            if !matcher.isExcluded(path, input: input) { best = input }
        }
        return best
    }

    /// The base directories that are not inside another one.
    static func roots(of directories: [String]) -> [String] {
        let unique = Array(Set(directories)).sorted()
        var roots: [String] = []
        for directory in unique {
            if roots.contains(where: { isInside(directory, $0) }) { continue }
            roots.append(directory)
        }
        return roots
    }

    /// Whether `path` is `directory` or below it.
    static func isInside(_ path: String, _ directory: String) -> Bool {
        directory == "/" || path == directory || path.hasPrefix(directory + "/")
    }

    /// `directory` if it exists, otherwise its deepest existing ancestor.
    static func deepestExisting(_ directory: String) -> String {
        var current = directory
        while current != "/" {
            var info = stat()
            if stat(current, &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return current }
            current = InputMatcher.directory(of: current)
        }
        return "/"
    }
}
