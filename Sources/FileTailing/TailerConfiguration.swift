/// Where reading starts in a file the tailer has not seen before, when the start-offset hook leaves the
/// choice to the rule (see ``Tailer``).
public enum StartAt: String, Hashable, Sendable, CaseIterable {
    /// From offset 0.
    case beginning
    /// From the end of the last complete line present when the file is first opened: a line being written
    /// at that moment is delivered whole. Applies only to files found by the initial scan; files that appear
    /// later are always read from the beginning.
    case end
}

/// What happens to a line longer than `max_line_bytes`. The file keeps being read either way.
public enum LongLinePolicy: String, Hashable, Sendable, CaseIterable {
    /// Deliver the line as consecutive pieces of `max_line_bytes`, each flagged ``TailedLine/Flags/split``.
    case split
    /// Deliver the first `max_line_bytes` only, flagged ``TailedLine/Flags/truncated``; the line's offsets
    /// still cover all its bytes, so the checkpoint moves past it.
    case truncate
}

/// How file changes are noticed.
public enum WatchMethod: String, Hashable, Sendable, CaseIterable {
    /// inotify on the watched directories; falls back to polling (with a warning event) when inotify is
    /// unavailable or the watch limit is reached.
    case auto
    /// Polling only: a rescan and a read attempt of every open file each `poll_interval_ms`.
    case poll
}

/// One input: a named set of files and how to read them.
public struct TailInput: Hashable, Sendable {
    /// The input's name, carried by every chunk and event (`name`). Required, unique.
    public var name: String
    /// Absolute glob patterns of the files to read (`include`). Required, at least one.
    public var include: [String]
    /// Patterns of files to leave out (`exclude`, default none). A pattern with a `/` is an absolute glob
    /// matched against the full path; a pattern without `/` is matched against the file name only.
    public var exclude: [String]
    /// Where files found by the initial scan start when no checkpoint decides (`start_at`, default
    /// `beginning`).
    public var startAt: StartAt
    /// The longest line delivered whole, in bytes, terminator excluded (`max_line_bytes`, default 1 MiB).
    public var maxLineBytes: Int
    /// What to do with longer lines (`long_line_policy`, default `split`).
    public var longLinePolicy: LongLinePolicy
    /// After how long a last line without `\n` is delivered anyway, flagged
    /// ``TailedLine/Flags/unterminated`` (`partial_line_timeout_ms`, default nil: held until its newline).
    public var partialLineTimeoutMs: Int?

    /// The default `max_line_bytes`: 1 MiB.
    public static let defaultMaxLineBytes = 1 << 20

    /// Makes an input; every option but the name and the include patterns has its documented default.
    public init(
        name: String,
        include: [String],
        exclude: [String] = [],
        startAt: StartAt = .beginning,
        maxLineBytes: Int = TailInput.defaultMaxLineBytes,
        longLinePolicy: LongLinePolicy = .split,
        partialLineTimeoutMs: Int? = nil
    ) {
        self.name = name
        self.include = include
        self.exclude = exclude
        self.startAt = startAt
        self.maxLineBytes = maxLineBytes
        self.longLinePolicy = longLinePolicy
        self.partialLineTimeoutMs = partialLineTimeoutMs
    }
}

/// The tailer's configuration: its inputs and the options shared by all of them.
public struct TailerConfiguration: Hashable, Sendable {
    /// The inputs. A file matched by several inputs belongs to the first one.
    public var inputs: [TailInput]
    /// The most file descriptors held at once (`max_open_files`, default 1024). Idle files at end of file
    /// are closed first (least recently active) to make room; a file waiting for a descriptor is read as
    /// soon as one frees up.
    public var maxOpenFiles: Int
    /// A file idle at end of file this long is closed and reopened when it changes; a file that no longer
    /// matches (renamed away) is released after this long without growth (`close_inactive_ms`, default
    /// 60000).
    public var closeInactiveMs: Int
    /// Interval of the full rescan that catches anything inotify missed (`sweep_interval_ms`, default 30000).
    public var sweepIntervalMs: Int
    /// Interval of polling when inotify cannot be used, and of read attempts on files no watch covers
    /// (`poll_interval_ms`, default 1000).
    public var pollIntervalMs: Int
    /// Bytes read per `read` call and per turn of one file, which is also the fairness quantum
    /// (`read_chunk_bytes`, default 1 MiB).
    public var readChunkBytes: Int
    /// inotify with automatic fallback, or polling only (`watch_method`, default `auto`).
    public var watchMethod: WatchMethod

    /// Makes a configuration; every global option has its documented default.
    public init(
        inputs: [TailInput],
        maxOpenFiles: Int = 1024,
        closeInactiveMs: Int = 60_000,
        sweepIntervalMs: Int = 30_000,
        pollIntervalMs: Int = 1_000,
        readChunkBytes: Int = 1 << 20,
        watchMethod: WatchMethod = .auto
    ) {
        self.inputs = inputs
        self.maxOpenFiles = maxOpenFiles
        self.closeInactiveMs = closeInactiveMs
        self.sweepIntervalMs = sweepIntervalMs
        self.pollIntervalMs = pollIntervalMs
        self.readChunkBytes = readChunkBytes
        self.watchMethod = watchMethod
    }

    /// Every problem in the configuration, each naming its option (`inputs[1].max_line_bytes`); empty when
    /// the configuration is valid.
    public func validate() -> [TailingError] {
        var errors: [TailingError] = []
        /// Records a problem with `option`.
        func fail(_ option: String, _ message: String) {
            errors.append(TailingError(.invalidConfiguration, message, option: option))
        }
        if inputs.isEmpty { fail("inputs", "at least one input is required") }
        var names = Set<String>()
        for (index, input) in inputs.enumerated() {
            let prefix = "inputs[\(index)]"
            if input.name.isEmpty { fail("\(prefix).name", "the input name must not be empty") }
            if !names.insert(input.name).inserted {
                fail("\(prefix).name", "the input name '\(input.name)' is used twice")
            }
            if input.include.isEmpty { fail("\(prefix).include", "at least one include pattern is required") }
            for (patternIndex, pattern) in input.include.enumerated() {
                do {
                    _ = try GlobPattern(pattern)
                } catch {
                    fail("\(prefix).include[\(patternIndex)]", error.message + ": '\(pattern)'")
                }
            }
            for (patternIndex, pattern) in input.exclude.enumerated() {
                if let problem = ExcludePattern.problem(in: pattern) {
                    fail("\(prefix).exclude[\(patternIndex)]", problem + ": '\(pattern)'")
                }
            }
            if !(1...(1 << 30)).contains(input.maxLineBytes) {
                fail("\(prefix).max_line_bytes", "must be between 1 and 1073741824")
            }
            if let timeout = input.partialLineTimeoutMs, timeout < 1 {
                fail("\(prefix).partial_line_timeout_ms", "must be at least 1 when set")
            }
        }
        if maxOpenFiles < 1 { fail("max_open_files", "must be at least 1") }
        if closeInactiveMs < 0 { fail("close_inactive_ms", "must not be negative") }
        if sweepIntervalMs < 100 { fail("sweep_interval_ms", "must be at least 100") }
        if pollIntervalMs < 10 { fail("poll_interval_ms", "must be at least 10") }
        if !(4096...(64 << 20)).contains(readChunkBytes) {
            fail("read_chunk_bytes", "must be between 4096 and 67108864")
        }
        return errors
    }
}
