/// A compiled path glob: `*`, `?`, `[...]` within one path component, and `**` for any number of
/// components (zero or more directories).
///
/// Patterns are absolute (`/var/log/**/*.log`). Matching works component by component on Unicode scalars:
/// `*` matches any run of characters except `/` (a leading `.` included, as in Go and Vector, not as in a
/// shell), `?` exactly one character, `[abc]`, `[a-z]`, `[!a]` or `[^a]` one character of (or not of) a set,
/// and `\` escapes the next character. A component that is exactly `**` matches zero or more whole
/// components. Besides "does this file match", the pattern answers "can anything below this directory
/// match", which is how discovery prunes the directory walk and chooses the directories to watch.
public struct GlobPattern: Hashable, Sendable, CustomStringConvertible {
    /// One `/`-separated piece of a pattern.
    enum Component: Hashable, Sendable {
        /// `**`: any number of components.
        case anyDepth
        /// A component with no special characters, compared as is.
        case literal(String)
        /// A component with `*`, `?` or `[...]`.
        case wildcard(String)
    }

    /// The pattern as written.
    public let text: String
    /// The `/`-separated components.
    let components: [Component]

    /// The directory holding every match: the leading literal components (`/var/log` for
    /// `/var/log/*/app.log`). Discovery starts its walk there.
    public let baseDirectory: String
    /// How many leading components make up ``baseDirectory``.
    let baseComponentCount: Int

    /// The largest number of components a pattern may have.
    public static let maximumComponents = 62

    /// Compiles `text`, or explains why it is not a valid pattern.
    public init(_ text: String) throws(TailingError) {
        guard text.hasPrefix("/") else {
            throw TailingError(.invalidGlob, "a glob must be an absolute path", path: text)
        }
        var parsed: [Component] = []
        for piece in text.split(separator: "/", omittingEmptySubsequences: true) {
            let piece = String(piece)
            if piece == "**" {
                if parsed.last != .anyDepth { parsed.append(.anyDepth) }
            } else if piece.contains("**") {
                throw TailingError(.invalidGlob, "'**' must be a whole path component", path: text)
            } else if piece == "." || piece == ".." {
                throw TailingError(.invalidGlob, "'.' and '..' are not allowed in a glob", path: text)
            } else if Self.hasWildcard(piece) {
                guard Self.bracketsAreBalanced(piece) else {
                    throw TailingError(.invalidGlob, "unterminated '[' in a glob", path: text)
                }
                parsed.append(.wildcard(piece))
            } else {
                parsed.append(.literal(piece))
            }
        }
        guard !parsed.isEmpty, parsed.last != .anyDepth else {
            throw TailingError(.invalidGlob, "a glob must end with a file name pattern", path: text)
        }
        guard parsed.count <= Self.maximumComponents else {
            throw TailingError(.invalidGlob, "a glob may have at most 62 components", path: text)
        }
        self.text = text
        self.components = parsed
        var base = 0
        var directory = ""
        while base < parsed.count - 1, case .literal(let name) = parsed[base] {
            directory += "/" + name
            base += 1
        }
        self.baseComponentCount = base
        self.baseDirectory = directory.isEmpty ? "/" : directory
    }

    /// The pattern as written.
    public var description: String { text }

    /// Whether the pattern has no wildcard at all (it names one file).
    public var isLiteral: Bool {
        components.allSatisfy { if case .literal = $0 { true } else { false } }
    }

    // MARK: Matching

    /// A set of positions in ``components`` reached after consuming some path components; bit `i` set means
    /// "the next component to match is `components[i]`", bit `count` means "the whole pattern matched".
    public struct MatchState: Hashable, Sendable {
        var bits: UInt64
        /// Whether no continuation can match.
        public var isDead: Bool { bits == 0 }
    }

    /// The state before any component is consumed.
    public var initialState: MatchState { closure(MatchState(bits: 1)) }

    /// The state after consuming the components of the absolute directory `path`, or a dead state.
    public func state(afterDirectory path: String) -> MatchState {
        var state = initialState
        for name in path.split(separator: "/", omittingEmptySubsequences: true) {
            state = advance(state, by: Substring(name))
            if state.isDead { break }
        }
        return state
    }

    /// The state after consuming one more path component.
    public func advance(_ state: MatchState, by name: Substring) -> MatchState {
        var next: UInt64 = 0
        var remaining = state.bits
        while remaining != 0 {
            let index = remaining.trailingZeroBitCount
            remaining &= remaining - 1
            guard index < components.count else { continue }
            switch components[index] {
            case .anyDepth:
                next |= 1 << UInt64(index)
            case .literal(let literal):
                if name == literal { next |= 1 << UInt64(index + 1) }
            case .wildcard(let pattern):
                if Self.wildcardMatches(pattern: pattern, name: name) { next |= 1 << UInt64(index + 1) }
            }
        }
        return closure(MatchState(bits: next))
    }

    /// Whether a state reached by consuming a file path is a full match.
    public func isMatch(_ state: MatchState) -> Bool {
        state.bits & (1 << UInt64(components.count)) != 0
    }

    /// Whether a directory reached with `state` can hold matches below it (pruning for the walk).
    public func canMatchBelow(_ state: MatchState) -> Bool {
        state.bits & ((1 << UInt64(components.count)) - 1) != 0
    }

    /// Whether the absolute `path` matches the pattern.
    public func matches(_ path: String) -> Bool {
        var state = initialState
        for name in path.split(separator: "/", omittingEmptySubsequences: true) {
            state = advance(state, by: name)
            if state.isDead { return false }
        }
        return isMatch(state)
    }

    /// Adds the positions reachable through `**` matching zero components.
    private func closure(_ state: MatchState) -> MatchState {
        var bits = state.bits
        var index = 0
        while index < components.count {
            if bits & (1 << UInt64(index)) != 0, components[index] == .anyDepth {
                bits |= 1 << UInt64(index + 1)
            }
            index += 1
        }
        return MatchState(bits: bits)
    }

    // MARK: Component wildcards

    private static func hasWildcard(_ piece: String) -> Bool {
        piece.unicodeScalars.contains { $0 == "*" || $0 == "?" || $0 == "[" || $0 == "\\" }
    }

    private static func bracketsAreBalanced(_ piece: String) -> Bool {
        let scalars = Array(piece.unicodeScalars)
        var index = 0
        while index < scalars.count {
            if scalars[index] == "\\" {
                index += 2
                continue
            }
            if scalars[index] == "[" {
                guard let end = bracketEnd(scalars[...], from: index) else { return false }
                index = end + 1
                continue
            }
            index += 1
        }
        return true
    }

    /// The index of the `]` closing the set that opens at `start`, if any.
    private static func bracketEnd<C: Collection<Unicode.Scalar>>(_ scalars: C, from start: C.Index) -> C.Index? {
        var index = scalars.index(after: start)
        if index < scalars.endIndex, scalars[index] == "!" || scalars[index] == "^" {
            index = scalars.index(after: index)
        }
        // A `]` right after `[` or `[!` is a member, not the end.
        if index < scalars.endIndex, scalars[index] == "]" { index = scalars.index(after: index) }
        while index < scalars.endIndex {
            if scalars[index] == "]" { return index }
            index = scalars.index(after: index)
        }
        return nil
    }

    /// Whether the component `name` matches the one-component wildcard `pattern`. Iterative, with a single
    /// backtracking point for the last `*` seen, so it runs in O(pattern x name) at worst.
    static func wildcardMatches(pattern: String, name: Substring) -> Bool {
        let p = pattern.unicodeScalars
        let n = name.unicodeScalars
        var pi = p.startIndex
        var ni = n.startIndex
        var starPattern: String.UnicodeScalarView.Index?
        var starName = n.startIndex
        while ni < n.endIndex {
            if pi < p.endIndex {
                let scalar = p[pi]
                switch scalar {
                case "*":
                    starPattern = pi
                    pi = p.index(after: pi)
                    starName = ni
                    continue
                case "?":
                    pi = p.index(after: pi)
                    ni = n.index(after: ni)
                    continue
                case "[":
                    if let end = bracketEnd(p, from: pi) {
                        if setContains(p[p.index(after: pi)..<end], n[ni]) {
                            pi = p.index(after: end)
                            ni = n.index(after: ni)
                            continue
                        }
                    } else if n[ni] == "[" {
                        pi = p.index(after: pi)
                        ni = n.index(after: ni)
                        continue
                    }
                case "\\":
                    let escaped = p.index(after: pi)
                    if escaped < p.endIndex, p[escaped] == n[ni] {
                        pi = p.index(after: escaped)
                        ni = n.index(after: ni)
                        continue
                    }
                default:
                    if scalar == n[ni] {
                        pi = p.index(after: pi)
                        ni = n.index(after: ni)
                        continue
                    }
                }
            }
            // Mismatch: let the last `*` swallow one more character, or fail.
            guard let star = starPattern else { return false }
            pi = p.index(after: star)
            starName = n.index(after: starName)
            ni = starName
        }
        while pi < p.endIndex, p[pi] == "*" { pi = p.index(after: pi) }
        return pi == p.endIndex
    }

    /// Whether the body of a `[...]` set (without the brackets) admits `scalar`.
    private static func setContains(_ body: Substring.UnicodeScalarView, _ scalar: Unicode.Scalar) -> Bool {
        var index = body.startIndex
        var negated = false
        if index < body.endIndex, body[index] == "!" || body[index] == "^" {
            negated = true
            index = body.index(after: index)
        }
        var found = false
        while index < body.endIndex {
            var low = body[index]
            if low == "\\", body.index(after: index) < body.endIndex {
                index = body.index(after: index)
                low = body[index]
            }
            let next = body.index(after: index)
            if next < body.endIndex, body[next] == "-", body.index(after: next) < body.endIndex {
                let high = body[body.index(after: next)]
                if low.value <= scalar.value && scalar.value <= high.value { found = true }
                index = body.index(after: body.index(after: next))
            } else {
                if low == scalar { found = true }
                index = next
            }
        }
        return found != negated
    }
}
