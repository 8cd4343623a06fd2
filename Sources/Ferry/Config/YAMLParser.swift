/// A parser for the subset of YAML a configuration file needs: block mappings and sequences (including
/// `- key: value` items and lists at their key's indentation), flow `[...]` and `{...}` on one line, plain,
/// single- and double-quoted scalars, `|` and `>` block scalars, comments, an optional leading `---`.
/// Anchors, aliases, tags, complex keys and multiple documents are refused with an error that says so.
///
/// Written for Ferry (not a general YAML library) so that the agent needs no Foundation, and so that every
/// node keeps its line and column for error messages.
public struct YAMLParser {
    private struct Line {
        var number: Int
        var indent: Int
        /// Text after the indentation, comments not yet removed.
        var text: Substring
        var isBlank: Bool
    }

    private var lines: [Line] = []
    private var position = 0

    /// Parses `text`; an empty document is a null node.
    public static func parse(_ text: String) throws(YAMLError) -> YAMLNode {
        var parser = YAMLParser()
        try parser.split(text)
        return try parser.document()
    }

    // MARK: - Lines

    private mutating func split(_ text: String) throws(YAMLError) {
        var number = 0
        // "\r\n" is one Character in Swift: split on it too, or a CRLF file would be one long line.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            number += 1
            var line = raw
            if line.last == "\r" { line = line.dropLast() }
            var indent = 0
            var index = line.startIndex
            while index < line.endIndex, line[index] == " " {
                indent += 1
                index = line.index(after: index)
            }
            let rest = line[index...]
            let stripped = Self.stripComment(rest)
            let blank = stripped.allSatisfy { $0 == " " || $0 == "\t" }
            if !blank, rest.first == "\t" {
                throw YAMLError(line: number, column: indent + 1, "tabs are not allowed in indentation; use spaces")
            }
            lines.append(Line(number: number, indent: indent, text: rest, isBlank: blank))
        }
    }

    /// The text without a trailing comment (a `#` at the start or after whitespace, outside quotes).
    static func stripComment(_ text: Substring) -> Substring {
        var inSingle = false
        var inDouble = false
        var previous: Character = " "
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if inDouble {
                if character == "\\" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    previous = "x"
                    continue
                }
                if character == "\"" { inDouble = false }
            } else if inSingle {
                if character == "'" { inSingle = false }
            } else if character == "#" && (previous == " " || previous == "\t") {
                return text[..<index]
            } else if character == "\"" && (previous == " " || previous == "\t" || previous == "[" || previous == "{" || previous == "," || previous == ":") {
                inDouble = true
            } else if character == "'" && (previous == " " || previous == "\t" || previous == "[" || previous == "{" || previous == "," || previous == ":") {
                inSingle = true
            }
            previous = character
            index = text.index(after: index)
        }
        return text
    }

    private func content(_ line: Line) -> Substring {
        var text = Self.stripComment(line.text)
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }

    private mutating func skipBlank() {
        while position < lines.count && lines[position].isBlank { position += 1 }
    }

    // MARK: - Structure

    private mutating func document() throws(YAMLError) -> YAMLNode {
        skipBlank()
        if position < lines.count, lines[position].indent == 0, content(lines[position]) == "---" {
            position += 1
            skipBlank()
        }
        guard position < lines.count else { return YAMLNode(.null, line: 1, column: 1) }
        let node = try block(minimumIndent: 0)
        skipBlank()
        if position < lines.count {
            let line = lines[position]
            let text = content(line)
            if text == "---" {
                throw YAMLError(line: line.number, column: 1, "only one YAML document is allowed in a configuration file")
            }
            if text != "..." {
                throw YAMLError(
                    line: line.number, column: line.indent + 1,
                    "unexpected content (check the indentation: it does not belong to the structure above)")
            }
        }
        return node
    }

    /// The block starting at the current line, which must be indented at least `minimumIndent`.
    private mutating func block(minimumIndent: Int) throws(YAMLError) -> YAMLNode {
        skipBlank()
        let line = lines[position]
        let text = content(line)
        if text == "-" || text.hasPrefix("- ") {
            return try sequence(indent: line.indent)
        }
        if Self.mappingKey(in: text) != nil {
            return try mapping(indent: line.indent)
        }
        position += 1
        return try inlineValue(text, line: line.number, column: line.indent + 1)
    }

    private mutating func mapping(indent: Int) throws(YAMLError) -> YAMLNode {
        let first = lines[position]
        var entries: [YAMLNode.Entry] = []
        var seen = Set<String>()
        while true {
            skipBlank()
            guard position < lines.count else { break }
            let line = lines[position]
            if line.indent < indent { break }
            let text = content(line)
            if line.indent > indent {
                throw YAMLError(line: line.number, column: line.indent + 1, "unexpected indentation")
            }
            if text == "-" || text.hasPrefix("- ") { break }
            if text == "---" || text == "..." { break }
            guard let (key, rest) = Self.mappingKey(in: text) else {
                throw YAMLError(line: line.number, column: line.indent + 1, "expected 'key: value'")
            }
            let keyText = try Self.keyText(key, line: line.number, column: line.indent + 1)
            guard seen.insert(keyText).inserted else {
                throw YAMLError(line: line.number, column: line.indent + 1, "duplicate key '\(keyText)'")
            }
            let valueColumn = line.indent + 1 + text.distance(from: text.startIndex, to: rest.startIndex)
            position += 1
            let value: YAMLNode
            let trimmed = rest.drop { $0 == " " }
            if trimmed.isEmpty {
                value = try nestedValue(parentIndent: indent, line: line.number, column: valueColumn, allowSameIndentSequence: true)
            } else if trimmed.first == "|" || trimmed.first == ">" {
                value = try blockScalar(header: trimmed, parentIndent: indent, line: line.number, column: valueColumn)
            } else {
                value = try inlineValue(trimmed, line: line.number, column: valueColumn + rest.count - trimmed.count)
            }
            entries.append(YAMLNode.Entry(key: keyText, line: line.number, column: line.indent + 1, value: value))
        }
        return YAMLNode(.mapping(entries), line: first.number, column: first.indent + 1)
    }

    /// The value of `key:` (or `-`) with nothing after it: a deeper block, a list at the same indentation
    /// (for mapping keys), or null.
    private mutating func nestedValue(parentIndent: Int, line: Int, column: Int, allowSameIndentSequence: Bool) throws(YAMLError) -> YAMLNode {
        skipBlank()
        guard position < lines.count else { return YAMLNode(.null, line: line, column: column) }
        let next = lines[position]
        let text = content(next)
        if next.indent > parentIndent {
            return try block(minimumIndent: parentIndent + 1)
        }
        if allowSameIndentSequence && next.indent == parentIndent && (text == "-" || text.hasPrefix("- ")) {
            return try sequence(indent: parentIndent)
        }
        return YAMLNode(.null, line: line, column: column)
    }

    private mutating func sequence(indent: Int) throws(YAMLError) -> YAMLNode {
        let first = lines[position]
        var items: [YAMLNode] = []
        while true {
            skipBlank()
            guard position < lines.count else { break }
            let line = lines[position]
            let text = content(line)
            guard line.indent == indent, text == "-" || text.hasPrefix("- ") else {
                if line.indent > indent {
                    throw YAMLError(line: line.number, column: line.indent + 1, "unexpected indentation")
                }
                break
            }
            let rest = text.dropFirst().drop { $0 == " " }
            let restIndent = indent + (text.count - rest.count)
            if rest.isEmpty {
                position += 1
                items.append(try nestedValue(parentIndent: indent, line: line.number, column: indent + 1, allowSameIndentSequence: false))
            } else if rest.first == "-" && (rest.count == 1 || rest.dropFirst().first == " ") || Self.mappingKey(in: rest) != nil {
                // `- key: value` or `- - item`: the rest of the line starts a block indented at its column.
                lines[position] = Line(number: line.number, indent: restIndent, text: rest, isBlank: false)
                items.append(try block(minimumIndent: restIndent))
            } else if rest.first == "|" || rest.first == ">" {
                position += 1
                items.append(try blockScalar(header: rest, parentIndent: indent, line: line.number, column: restIndent + 1))
            } else {
                position += 1
                items.append(try inlineValue(rest, line: line.number, column: restIndent + 1))
            }
        }
        return YAMLNode(.sequence(items), line: first.number, column: first.indent + 1)
    }

    /// `|` or `>` (with an optional `-`/`+` chomping indicator): the more-indented lines that follow.
    private mutating func blockScalar(header: Substring, parentIndent: Int, line: Int, column: Int) throws(YAMLError) -> YAMLNode {
        let literal = header.first == "|"
        let indicator = header.dropFirst()
        guard indicator.isEmpty || indicator == "-" || indicator == "+" else {
            throw YAMLError(line: line, column: column, "unsupported block scalar header '\(header)' (use |, |-, |+, >, >- or >+)")
        }
        var collected: [Substring] = []
        var contentIndent: Int? = nil
        while position < lines.count {
            let next = lines[position]
            // Only whitespace is blank here: a line starting with `#` inside a block scalar is content.
            if next.text.allSatisfy({ $0 == " " || $0 == "\t" }) {
                collected.append("")
                position += 1
                continue
            }
            if next.indent <= parentIndent { break }
            if contentIndent == nil { contentIndent = next.indent }
            guard next.indent >= contentIndent! else { break }
            let extra = String(repeating: " ", count: next.indent - contentIndent!)
            collected.append(Substring(extra + next.text))
            position += 1
        }
        var trailingBlank = 0
        while let last = collected.last, last.isEmpty {
            collected.removeLast()
            trailingBlank += 1
        }
        var text: String
        if literal {
            text = collected.joined(separator: "\n")
        } else {
            text = ""
            var previousBlank = true
            for piece in collected {
                if piece.isEmpty {
                    text += "\n"
                    previousBlank = true
                } else {
                    if !previousBlank && !text.hasSuffix("\n") { text += " " }
                    text += piece
                    previousBlank = false
                }
            }
        }
        switch indicator {
        case "-": break
        case "+": text += String(repeating: "\n", count: trailingBlank + (collected.isEmpty ? 0 : 1))
        default: if !collected.isEmpty { text += "\n" }
        }
        return YAMLNode(.scalar(text, quoted: true), line: line, column: column)
    }

    // MARK: - Keys

    /// Splits `key: rest` at the first `:` followed by a space or the end of the line, outside quotes;
    /// nil when the text is not a mapping entry.
    static func mappingKey(in text: Substring) -> (key: Substring, rest: Substring)? {
        if text.first == "\"" || text.first == "'" {
            let quote = text.first!
            var index = text.index(after: text.startIndex)
            while index < text.endIndex {
                if text[index] == "\\" && quote == "\"" {
                    index = text.index(after: index)
                    if index < text.endIndex { index = text.index(after: index) }
                    continue
                }
                if text[index] == quote { break }
                index = text.index(after: index)
            }
            guard index < text.endIndex else { return nil }
            let afterQuote = text.index(after: index)
            guard afterQuote < text.endIndex, text[afterQuote] == ":" else { return nil }
            let rest = text[text.index(after: afterQuote)...]
            guard rest.isEmpty || rest.first == " " else { return nil }
            return (text[..<afterQuote], rest)
        }
        if text.first == "[" || text.first == "{" { return nil }
        var index = text.startIndex
        while index < text.endIndex {
            if text[index] == ":" {
                let next = text.index(after: index)
                if next == text.endIndex || text[next] == " " {
                    return index == text.startIndex ? nil : (text[..<index], text[next...])
                }
            }
            index = text.index(after: index)
        }
        return nil
    }

    static func keyText(_ key: Substring, line: Int, column: Int) throws(YAMLError) -> String {
        let trimmed = key.trimmingSpaces()
        if trimmed.first == "\"" || trimmed.first == "'" {
            guard case .scalar(let text, _) = try Self.scalar(trimmed, line: line, column: column).value else {
                throw YAMLError(line: line, column: column, "a key must be a string")
            }
            return text
        }
        if trimmed.first == "?" {
            throw YAMLError(line: line, column: column, "complex keys ('? ') are not supported")
        }
        return String(trimmed)
    }

    // MARK: - Inline values

    private func inlineValue(_ text: Substring, line: Int, column: Int) throws(YAMLError) -> YAMLNode {
        var flow = FlowParser(text: text, line: line, column: column)
        let node = try flow.value(inFlow: false)
        try flow.expectEnd()
        return node
    }

    /// A quoted or plain scalar standing alone.
    static func scalar(_ text: Substring, line: Int, column: Int) throws(YAMLError) -> YAMLNode {
        var flow = FlowParser(text: text, line: line, column: column)
        let node = try flow.value(inFlow: false)
        try flow.expectEnd()
        return node
    }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
