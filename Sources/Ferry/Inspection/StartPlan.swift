import Checkpointing
import FileTailing
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What `ferry check` shows: for each input, the files its patterns match now and where reading would
/// start, from the checkpoint (read without the lock, so a running agent is not disturbed).
public struct StartPlan: Sendable {
    /// One file.
    public struct File: Sendable {
        public var path: String
        public var size: Int64
        public var start: Int64?
        /// Why it starts there.
        public var reason: String
    }

    /// One input and its files.
    public struct Input: Sendable {
        public var name: String
        public var topic: String
        public var files: [File]
    }

    public var inputs: [Input]
    /// Problems met while scanning (unreadable files, denied directories, loops).
    public var problems: [String]
    /// What the checkpoint load found.
    public var checkpoint: String

    /// Scans and plans without changing anything.
    public static func make(configuration: AgentConfiguration, logger: Logger) throws -> StartPlan {
        let discovery = try FileDiscovery.scan(configuration.tailerConfiguration)
        let loaded = CheckpointStore.loadReadOnly(directory: configuration.stateDirectory)
        let checkpoint: String
        var unknownStart: StartPosition? = nil
        switch loaded.outcome {
        case .fresh: checkpoint = "none yet (first start)"
        case .current(let generation): checkpoint = "generation \(generation), \(loaded.entries.count) files"
        case .recovered(let generation): checkpoint = "generation \(generation) (a newer copy is damaged), \(loaded.entries.count) files"
        case .unusable:
            checkpoint = "unusable: files would start per on_corrupt_checkpoint (\(configuration.onCorruptCheckpoint.rawValue))"
            unknownStart = configuration.onCorruptCheckpoint
        }
        var quiet = logger
        quiet.logLevel = .critical
        let plan = ResumePlanner(logger: quiet).plan(
            entries: loaded.entries,
            observed: discovery.files.map { ObservedFile(path: $0.path, identity: $0.identity, size: $0.size, inputName: $0.input) },
            unknownFiles: unknownStart ?? .beginning, now: .now(), forgetAfter: .seconds(configuration.forgetAfterHours * 3600))
        var byInput: [String: [File]] = [:]
        for decision in plan.decisions {
            let file = decision.file
            let input = configuration.inputs.first { $0.name == file.inputName }
            var start: Int64? = decision.startOffset
            var reason: String
            switch decision.reason {
            case .unchanged: reason = "checkpoint"
            case .renamed(let from): reason = "checkpoint (rotated from \(from))"
            case .truncated(let previous): reason = "truncated since the checkpoint (was at \(previous)): from 0"
            case .rewritten(let previous): reason = "rewritten since the checkpoint (was at \(previous)): from 0"
            case .replaced: reason = "a new file replaced the checkpointed one: from 0"
            case .sameFileAs(let path): reason = "same file as \(path): read once"
            case .unverifiable(let failure): reason = "checkpoint cannot be verified (\(failure)): from 0"
            case .new:
                switch unknownStart ?? (input?.startAt == .end ? .end : .beginning) {
                case .beginning:
                    start = 0
                    reason = "new file, start_at beginning"
                case .end:
                    start = LineBoundary.last(path: file.path, size: file.size, maxLineBytes: input?.maxLineBytes ?? (1 << 20))
                    reason = "new file, start_at end"
                }
            }
            byInput[file.inputName, default: []].append(File(path: file.path, size: file.size, start: start, reason: reason))
        }
        var problems: [String] = []
        for (path, code) in discovery.unreadable { problems.append("\(path): cannot be read (\(String(cString: strerror(code))))") }
        for (path, code) in discovery.deniedDirectories { problems.append("\(path): directory cannot be listed (\(String(cString: strerror(code))))") }
        for path in discovery.loops { problems.append("\(path): symbolic link loop, not followed") }
        return StartPlan(
            inputs: configuration.inputs.map { Input(name: $0.name, topic: $0.topic, files: byInput[$0.name] ?? []) },
            problems: problems, checkpoint: checkpoint)
    }
}

/// Whether the state directory can be used: it exists and is a writable directory, or it can be created
/// (its nearest existing ancestor is a writable directory). Returns the problem, or nil.
public func stateDirectoryProblem(_ path: String) -> String? {
    var info = stat()
    if stat(path, &info) == 0 {
        guard info.st_mode & S_IFMT == S_IFDIR else { return "\(path) exists and is not a directory" }
        guard access(path, W_OK | X_OK) == 0 else { return "\(path) is not writable (\(String(cString: strerror(errno))))" }
        return nil
    }
    guard errno == ENOENT || errno == ENOTDIR else { return "\(path) cannot be used (\(String(cString: strerror(errno))))" }
    var ancestor = path
    while true {
        guard let slash = ancestor.lastIndex(of: "/") else { return "\(path) has no existing parent" }
        ancestor = slash == ancestor.startIndex ? "/" : String(ancestor[..<slash])
        if stat(ancestor, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { return "\(path) cannot be created: \(ancestor) is not a directory" }
            guard access(ancestor, W_OK | X_OK) == 0 else {
                return "\(path) cannot be created: \(ancestor) is not writable (\(String(cString: strerror(errno))))"
            }
            return nil
        }
        if errno != ENOENT && errno != ENOTDIR { return "\(path) cannot be created: \(ancestor): \(String(cString: strerror(errno)))" }
        if ancestor == "/" { return "\(path) cannot be created" }
    }
}
