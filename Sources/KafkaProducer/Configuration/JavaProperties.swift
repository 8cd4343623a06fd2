/// A Java `.properties` file, the format of Kafka's `producer.properties`, read as `java.util.Properties.load`
/// reads it:
///
/// - a line whose first non-blank character is `#` or `!` is a comment; blank lines are skipped;
/// - the key runs to the first unescaped `=`, `:` or blank; blanks around the separator are skipped, and the
///   rest of the line is the value (`key=value`, `key: value`, `key value`);
/// - a line ending in an odd number of backslashes continues on the next one, whose leading blanks are
///   skipped;
/// - `\t`, `\n`, `\r`, `\f` and `\uXXXX` are escapes; a backslash before any other character stands for that
///   character (`\=`, `\:`, `\ `, `\\`);
/// - lines end with `\n`, `\r` or `\r\n`; a later key replaces an earlier one.
///
/// The bytes are read as UTF-8 (as Java 9+ reads property resource bundles); a file that is not valid
/// UTF-8 is read as ISO-8859-1, as `Properties.load(InputStream)` does.
public enum JavaProperties {
    /// A malformed `\u` escape, the one thing Java refuses in this format.
    public struct ParseError: Error, Hashable, Sendable, CustomStringConvertible {
        /// The line (1-based) where the logical line holding the problem starts.
        public var line: Int
        /// What is wrong.
        public var message: String

        /// Makes an error.
        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }

        /// `line N: message`.
        public var description: String { "line \(line): \(message)" }
    }

    /// One property as written, with the line it starts on.
    public struct Entry: Hashable, Sendable {
        /// The key, escapes resolved.
        public var key: String
        /// The value, escapes resolved.
        public var value: String
        /// The line (1-based) the entry starts on.
        public var line: Int
    }

    /// Reads properties from bytes. Every malformed escape is reported (the rest of the file is still read).
    public static func parse(_ bytes: [UInt8]) throws(JavaPropertiesErrors) -> [String: String] {
        var result: [String: String] = [:]
        for entry in try entries(bytes) { result[entry.key] = entry.value }
        return result
    }

    /// Reads properties from text.
    public static func parse(_ text: String) throws(JavaPropertiesErrors) -> [String: String] {
        try parse(Array(text.utf8))
    }

    /// The entries in file order (a key may appear more than once; the last one counts).
    public static func entries(_ bytes: [UInt8]) throws(JavaPropertiesErrors) -> [Entry] {
        let scalars: [Unicode.Scalar]
        if let text = String(validating: bytes, as: UTF8.self) {
            scalars = Array(text.unicodeScalars)
        } else {
            scalars = bytes.map { Unicode.Scalar($0) }
        }
        var entries: [Entry] = []
        var errors: [ParseError] = []
        var reader = LineReader(scalars: scalars)
        while let logical = reader.nextLogicalLine() {
            switch split(logical.characters) {
            case nil:
                continue
            case let (key, value)?:
                var problems: [String] = []
                let entry = Entry(
                    key: unescape(key, problems: &problems), value: unescape(value, problems: &problems), line: logical.line)
                errors += problems.map { ParseError(line: logical.line, message: $0) }
                entries.append(entry)
            }
        }
        guard errors.isEmpty else { throw JavaPropertiesErrors(errors: errors) }
        return entries
    }

    private static func isBlank(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\u{0C}" }

    /// A logical line: natural lines joined across continuations, comments and blank lines skipped.
    private struct LineReader {
        let scalars: [Unicode.Scalar]
        var position = 0
        var line = 1

        /// The next natural line (without its terminator) and its number, or nil at the end.
        mutating func nextNaturalLine() -> (ArraySlice<Unicode.Scalar>, Int)? {
            guard position < scalars.count else { return nil }
            let start = position
            let number = line
            while position < scalars.count, scalars[position] != "\n", scalars[position] != "\r" { position += 1 }
            let text = scalars[start..<position]
            if position < scalars.count {
                if scalars[position] == "\r", position + 1 < scalars.count, scalars[position + 1] == "\n" { position += 1 }
                position += 1
            }
            line += 1
            return (text, number)
        }

        mutating func nextLogicalLine() -> (characters: [Unicode.Scalar], line: Int)? {
            while let (natural, number) = nextNaturalLine() {
                let content = natural.drop(while: JavaProperties.isBlank)
                guard let first = content.first, first != "#", first != "!" else { continue }
                var joined = Array(content)
                while Self.endsInContinuation(joined) {
                    joined.removeLast()
                    guard let (next, _) = nextNaturalLine() else { break }
                    joined += next.drop(while: JavaProperties.isBlank)
                }
                return (joined, number)
            }
            return nil
        }

        /// Whether the line ends in an odd number of backslashes.
        static func endsInContinuation(_ text: [Unicode.Scalar]) -> Bool {
            var count = 0
            var index = text.count - 1
            while index >= 0, text[index] == "\\" {
                count += 1
                index -= 1
            }
            return count % 2 == 1
        }
    }

    /// Splits a logical line into its raw (still escaped) key and value.
    private static func split(_ line: [Unicode.Scalar]) -> ([Unicode.Scalar], [Unicode.Scalar])? {
        guard !line.isEmpty else { return nil }
        var index = 0
        var escaped = false
        while index < line.count {
            let c = line[index]
            if escaped {
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "=" || c == ":" || isBlank(c) {
                break
            }
            index += 1
        }
        let key = Array(line[..<index])
        while index < line.count, isBlank(line[index]) { index += 1 }
        if index < line.count, line[index] == "=" || line[index] == ":" {
            index += 1
            while index < line.count, isBlank(line[index]) { index += 1 }
        }
        return (key, Array(line[index...]))
    }

    /// Resolves escapes.
    private static func unescape(_ raw: [Unicode.Scalar], problems: inout [String]) -> String {
        var out = String.UnicodeScalarView()
        var index = 0
        while index < raw.count {
            let c = raw[index]
            index += 1
            guard c == "\\", index < raw.count else {
                if c != "\\" { out.append(c) }
                continue
            }
            let escaped = raw[index]
            index += 1
            switch escaped {
            case "t": out.append("\t")
            case "n": out.append("\n")
            case "r": out.append("\r")
            case "f": out.append("\u{0C}")
            case "u":
                guard let unit = hex4(raw, at: &index) else {
                    problems.append("malformed \\uXXXX escape (four hexadecimal digits expected)")
                    continue
                }
                if (0xD800..<0xDC00).contains(unit), index + 1 < raw.count, raw[index] == "\\", raw[index + 1] == "u" {
                    // A surrogate pair, written as two escapes (Java strings are UTF-16).
                    var next = index + 2
                    if let low = hex4(raw, at: &next), (0xDC00..<0xE000).contains(low) {
                        index = next
                        out.append(Unicode.Scalar(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}")
                        continue
                    }
                }
                // A lone surrogate half: Java keeps it in a UTF-16 string; a Swift string cannot hold it.
                out.append(Unicode.Scalar(unit) ?? "\u{FFFD}")
            default: out.append(escaped)
            }
        }
        return String(out)
    }

    /// Four hexadecimal digits at `index` (advanced past them), or nil.
    private static func hex4(_ raw: [Unicode.Scalar], at index: inout Int) -> UInt32? {
        guard index + 4 <= raw.count else { return nil }
        var value: UInt32 = 0
        for offset in 0..<4 {
            guard let digit = hexValue(raw[index + offset]) else { return nil }
            value = value * 16 + digit
        }
        index += 4
        return value
    }

    private static func hexValue(_ c: Unicode.Scalar) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f": return c.value - 97 + 10
        case "A"..."F": return c.value - 65 + 10
        default: return nil
        }
    }
}

/// Every malformed escape in a properties file (at least one).
public struct JavaPropertiesErrors: Error, Hashable, Sendable, CustomStringConvertible {
    /// The problems, in file order.
    public var errors: [JavaProperties.ParseError]

    /// Makes the list.
    public init(errors: [JavaProperties.ParseError]) { self.errors = errors }

    /// Every problem, separated by `; `.
    public var description: String { errors.map(\.description).joined(separator: "; ") }
}
