/// An `exclude` entry: an absolute glob on the full path when it holds a `/`, otherwise a one-component
/// wildcard on the file name.
struct ExcludePattern: Hashable, Sendable {
    /// A full-path glob or a file-name wildcard.
    enum Kind: Hashable, Sendable {
        case path(GlobPattern)
        case name(String)
    }

    /// The pattern.
    let kind: Kind

    /// Compiles `text`, or throws why it is not valid.
    init(_ text: String) throws(TailingError) {
        if let problem = Self.problem(in: text) {
            throw TailingError(.invalidGlob, problem, path: text)
        }
        kind = text.contains("/") ? .path(try GlobPattern(text)) : .name(text)
    }

    /// Why `text` is not a valid exclude pattern, or nil.
    static func problem(in text: String) -> String? {
        if text.isEmpty { return "an exclude pattern must not be empty" }
        if text.contains("/") {
            do {
                _ = try GlobPattern(text)
                return nil
            } catch {
                return error.message
            }
        }
        if text.contains("**") { return "'**' needs a path pattern (with '/')" }
        var depth = 0
        var escaped = false
        for scalar in text.unicodeScalars {
            if escaped {
                escaped = false
            } else if scalar == "\\" {
                escaped = true
            } else if scalar == "[" {
                depth += 1
            } else if scalar == "]", depth > 0 {
                depth -= 1
            }
        }
        return depth == 0 ? nil : "unterminated '[' in a pattern"
    }

    /// Whether the file `path` (with file name `name`) is excluded.
    func excludes(path: String, name: Substring) -> Bool {
        switch kind {
        case .path(let glob): glob.matches(path)
        case .name(let pattern): GlobPattern.wildcardMatches(pattern: pattern, name: name)
        }
    }
}

/// The compiled include and exclude patterns of every input: decides which input a path belongs to and
/// which directories can hold matches. Pure.
public struct InputMatcher: Sendable {
    /// One input's compiled patterns.
    struct Input: Sendable {
        var name: String
        var include: [GlobPattern]
        var exclude: [ExcludePattern]
    }

    /// The inputs, in configuration order.
    let inputs: [Input]

    /// Compiles the patterns of `inputs` (already validated: a bad pattern throws its error).
    public init(_ inputs: [TailInput]) throws(TailingError) {
        var compiled: [Input] = []
        for input in inputs {
            var include: [GlobPattern] = []
            for pattern in input.include { include.append(try GlobPattern(pattern)) }
            var exclude: [ExcludePattern] = []
            for pattern in input.exclude { exclude.append(try ExcludePattern(pattern)) }
            compiled.append(Input(name: input.name, include: include, exclude: exclude))
        }
        self.inputs = compiled
    }

    /// The index of the first input whose include patterns match `path` and whose exclude patterns do not,
    /// or nil.
    public func input(for path: String) -> Int? {
        let name = Self.fileName(of: path)
        for (index, input) in inputs.enumerated() where input.include.contains(where: { $0.matches(path) }) {
            if input.exclude.contains(where: { $0.excludes(path: path, name: name) }) { continue }
            return index
        }
        return nil
    }

    /// Whether the file `path` (known to match `pattern`, an include of input `index`) is excluded.
    func isExcluded(_ path: String, input index: Int) -> Bool {
        let name = Self.fileName(of: path)
        return inputs[index].exclude.contains { $0.excludes(path: path, name: name) }
    }

    /// Every include pattern, with the index of its input.
    var patterns: [(input: Int, pattern: GlobPattern)] {
        inputs.enumerated().flatMap { index, input in input.include.map { (index, $0) } }
    }

    /// The last component of `path`.
    static func fileName(of path: String) -> Substring {
        if let slash = path.lastIndex(of: "/") { return path[path.index(after: slash)...] }
        return path[...]
    }

    /// The directory part of `path` (`/` for a file at the root).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }
}
