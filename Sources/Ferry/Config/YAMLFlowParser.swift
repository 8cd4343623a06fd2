/// Parses one line's worth of inline YAML: scalars (plain, single- and double-quoted) and flow
/// collections (`[a, b]`, `{k: v}`).
struct FlowParser {
    private let characters: [Character]
    private var index = 0
    private let line: Int
    private let column: Int

    init(text: Substring, line: Int, column: Int) {
        characters = Array(text)
        self.line = line
        self.column = column
    }

    private func error(_ message: String) -> YAMLError {
        YAMLError(line: line, column: column + index, message)
    }

    private var current: Character? { index < characters.count ? characters[index] : nil }

    private mutating func skipSpaces() {
        while let character = current, character == " " || character == "\t" { index += 1 }
    }

    mutating func expectEnd() throws(YAMLError) {
        skipSpaces()
        guard index == characters.count else { throw error("unexpected text after the value") }
    }

    mutating func value(inFlow: Bool) throws(YAMLError) -> YAMLNode {
        skipSpaces()
        let start = column + index
        guard let character = current else { return YAMLNode(.null, line: line, column: start) }
        switch character {
        case "[": return try flowSequence()
        case "{": return try flowMapping()
        case "\"": return YAMLNode(.scalar(try doubleQuoted(), quoted: true), line: line, column: start)
        case "'": return YAMLNode(.scalar(try singleQuoted(), quoted: true), line: line, column: start)
        case "&", "*":
            throw error("anchors and aliases ('&', '*') are not supported in Ferry's configuration")
        case "!":
            throw error("tags ('!') are not supported in Ferry's configuration")
        case "|", ">":
            if inFlow { break }
            throw error("a block scalar ('|' or '>') must end its line")
        default:
            break
        }
        var text = ""
        while let next = current {
            if inFlow && (next == "," || next == "]" || next == "}") { break }
            if inFlow && next == ":" && (index + 1 == characters.count || characters[index + 1] == " ") { break }
            text.append(next)
            index += 1
        }
        while let last = text.last, last == " " || last == "\t" { text.removeLast() }
        if text == "~" || text == "null" || text == "Null" || text == "NULL" || text.isEmpty {
            return YAMLNode(.null, line: line, column: start)
        }
        return YAMLNode(.scalar(text, quoted: false), line: line, column: start)
    }

    private mutating func flowSequence() throws(YAMLError) -> YAMLNode {
        let start = column + index
        index += 1
        var items: [YAMLNode] = []
        skipSpaces()
        if current == "]" {
            index += 1
            return YAMLNode(.sequence([]), line: line, column: start)
        }
        while true {
            items.append(try value(inFlow: true))
            skipSpaces()
            guard let next = current else {
                throw error("unterminated '[' (a flow list must close on the same line)")
            }
            index += 1
            if next == "]" { break }
            guard next == "," else { throw error("expected ',' or ']'") }
        }
        return YAMLNode(.sequence(items), line: line, column: start)
    }

    private mutating func flowMapping() throws(YAMLError) -> YAMLNode {
        let start = column + index
        index += 1
        var entries: [YAMLNode.Entry] = []
        var seen = Set<String>()
        skipSpaces()
        if current == "}" {
            index += 1
            return YAMLNode(.mapping([]), line: line, column: start)
        }
        while true {
            skipSpaces()
            let keyColumn = column + index
            let keyNode = try value(inFlow: true)
            guard case .scalar(let key, _) = keyNode.value else { throw error("a key must be a string") }
            guard seen.insert(key).inserted else { throw error("duplicate key '\(key)'") }
            skipSpaces()
            guard current == ":" else { throw error("expected ':' after the key '\(key)'") }
            index += 1
            let value = try value(inFlow: true)
            entries.append(YAMLNode.Entry(key: key, line: line, column: keyColumn, value: value))
            skipSpaces()
            guard let next = current else {
                throw error("unterminated '{' (a flow mapping must close on the same line)")
            }
            index += 1
            if next == "}" { break }
            guard next == "," else { throw error("expected ',' or '}'") }
        }
        return YAMLNode(.mapping(entries), line: line, column: start)
    }

    private mutating func singleQuoted() throws(YAMLError) -> String {
        let start = index
        index += 1
        var text = ""
        while let character = current {
            index += 1
            if character == "'" {
                if current == "'" {
                    text.append("'")
                    index += 1
                    continue
                }
                return text
            }
            text.append(character)
        }
        index = start
        throw error("unterminated single-quoted string")
    }

    private mutating func doubleQuoted() throws(YAMLError) -> String {
        let start = index
        index += 1
        var text = ""
        while let character = current {
            index += 1
            if character == "\"" { return text }
            guard character == "\\" else {
                text.append(character)
                continue
            }
            guard let escape = current else { break }
            index += 1
            switch escape {
            case "n": text.append("\n")
            case "t": text.append("\t")
            case "r": text.append("\r")
            case "0": text.append("\0")
            case "\\": text.append("\\")
            case "\"": text.append("\"")
            case "/": text.append("/")
            case " ": text.append(" ")
            case "x", "u", "U":
                let digits = escape == "x" ? 2 : escape == "u" ? 4 : 8
                guard index + digits <= characters.count,
                    let code = UInt32(String(characters[index..<(index + digits)]), radix: 16),
                    let scalar = Unicode.Scalar(code)
                else { throw error("bad \\\(escape) escape") }
                text.unicodeScalars.append(scalar)
                index += digits
            default:
                throw error("unknown escape '\\\(escape)' in a double-quoted string")
            }
        }
        index = start
        throw error("unterminated double-quoted string")
    }
}
