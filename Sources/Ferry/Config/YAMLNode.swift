/// A node of a parsed YAML document, with the position it was found at (1-based line and column), so that
/// every configuration error can name the file, line and column.
public struct YAMLNode: Sendable, Equatable {
    /// The node's content.
    public enum Value: Sendable, Equatable {
        /// A scalar; `quoted` tells `"null"` from `null`.
        case scalar(String, quoted: Bool)
        /// A mapping, in document order (duplicate keys are rejected by the parser).
        case mapping([Entry])
        /// A sequence.
        case sequence([YAMLNode])
        /// An empty value (`key:` with nothing after it, or `~`/`null`).
        case null
    }

    /// One `key: value` of a mapping.
    public struct Entry: Sendable, Equatable {
        /// The key.
        public var key: String
        /// Where the key is.
        public var line: Int
        public var column: Int
        /// The value.
        public var value: YAMLNode
    }

    /// The content.
    public var value: Value
    /// Where the node starts.
    public var line: Int
    public var column: Int

    /// Makes a node.
    public init(_ value: Value, line: Int, column: Int) {
        self.value = value
        self.line = line
        self.column = column
    }

    /// The entries, when the node is a mapping.
    public var entries: [Entry]? {
        if case .mapping(let entries) = value { return entries }
        return nil
    }

    /// The items, when the node is a sequence.
    public var items: [YAMLNode]? {
        if case .sequence(let items) = value { return items }
        return nil
    }

    /// The text, when the node is a scalar.
    public var scalar: String? {
        if case .scalar(let text, _) = value { return text }
        return nil
    }

    /// A word for the node's kind, for error messages.
    public var kind: String {
        switch value {
        case .scalar: "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .null: "nothing"
        }
    }
}

/// A YAML syntax error: where, and what.
public struct YAMLError: Error, Equatable, Sendable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, _ message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
