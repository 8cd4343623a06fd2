/// Reads one line of Docker's json-file log driver: `{"log":"text\n","stream":"stdout","time":"..."}`.
/// Only `log` and `stream` are used. The text is JSON-unescaped into a caller buffer, without copying
/// anything else; no Foundation, no allocation per line beyond the buffer's growth.
enum DockerJSONLine {
    /// What a line held.
    struct Parsed {
        /// Where the unescaped `log` text is in the output buffer.
        var text: Range<Int>
        /// Whether the text ended with a newline (which is removed): false for the pieces Docker splits
        /// long lines into, except the last.
        var complete: Bool
        /// The `stream` field (`stdout`, `stderr`), as a range of the input.
        var stream: Range<Int>?
    }

    /// Parses `line`, appending the unescaped `log` field to `output`. Returns nil for anything that is not
    /// such a JSON object (the caller ships the raw line instead, and counts it).
    static func parse(_ line: UnsafeRawBufferPointer, into output: inout [UInt8]) -> Parsed? {
        var scanner = JSONScanner(line)
        guard scanner.consume(UInt8(ascii: "{")) else { return nil }
        var text: Range<Int>? = nil
        var complete = false
        var stream: Range<Int>? = nil
        if scanner.consume(UInt8(ascii: "}")) { return nil }
        while true {
            guard let key = scanner.rawString() else { return nil }
            guard scanner.consume(UInt8(ascii: ":")) else { return nil }
            if scanner.keyEquals(key, "log") {
                let start = output.count
                guard scanner.unescapedString(into: &output) else { return nil }
                if output.last == 0x0A {
                    output.removeLast()
                    if output.last == 0x0D, output.count > start { output.removeLast() }
                    complete = true
                }
                text = start..<output.count
            } else if scanner.keyEquals(key, "stream") {
                guard let value = scanner.rawString() else { return nil }
                stream = value
            } else {
                guard scanner.skipValue() else { return nil }
            }
            if scanner.consume(UInt8(ascii: ",")) { continue }
            guard scanner.consume(UInt8(ascii: "}")) else { return nil }
            break
        }
        guard scanner.atEnd, let text else { return nil }
        return Parsed(text: text, complete: complete, stream: stream)
    }
}

/// A minimal JSON scanner over raw bytes: enough for flat log objects.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func skipSpace() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0D || bytes[index] == 0x0A {
            index += 1
        }
    }

    var atEnd: Bool {
        mutating get {
            skipSpace()
            return index == bytes.count
        }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        skipSpace()
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// A string's raw content range (escapes left as they are).
    mutating func rawString() -> Range<Int>? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        let start = index
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") {
                index += 2
                continue
            }
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                return start..<index
            }
            index += 1
        }
        return nil
    }

    func keyEquals(_ range: Range<Int>, _ key: StaticString) -> Bool {
        guard range.count == key.utf8CodeUnitCount else { return false }
        let pointer = key.utf8Start
        for offset in 0..<range.count where bytes[range.lowerBound + offset] != pointer[offset] { return false }
        return true
    }

    /// A string value, unescaped, appended to `output`.
    mutating func unescapedString(into output: inout [UInt8]) -> Bool {
        guard consume(UInt8(ascii: "\"")) else { return false }
        while index < bytes.count {
            // Copy the run up to the next quote or backslash in one go.
            let runStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
            if index > runStart { output.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index])) }
            guard index < bytes.count else { return false }
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                return true
            }
            index += 1
            guard index < bytes.count else { return false }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "n"): output.append(0x0A)
            case UInt8(ascii: "t"): output.append(0x09)
            case UInt8(ascii: "r"): output.append(0x0D)
            case UInt8(ascii: "b"): output.append(0x08)
            case UInt8(ascii: "f"): output.append(0x0C)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
            case UInt8(ascii: "u"):
                guard var scalar = hex4() else { return false }
                if (0xD800...0xDBFF).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                    bytes[index + 1] == UInt8(ascii: "u")
                {
                    index += 2
                    guard let low = hex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                appendUTF8(scalar, to: &output)
            default:
                return false
            }
        }
        return false
    }

    private mutating func hex4() -> UInt32? {
        guard index + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return nil
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private func appendUTF8(_ scalar: UInt32, to output: inout [UInt8]) {
        // Lone surrogates become U+FFFD, as JSON decoders do.
        let value = (0xD800...0xDFFF).contains(scalar) ? 0xFFFD : scalar
        switch value {
        case 0..<0x80: output.append(UInt8(value))
        case 0x80..<0x800:
            output.append(UInt8(0xC0 | (value >> 6)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800..<0x10000:
            output.append(UInt8(0xE0 | (value >> 12)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        default:
            output.append(UInt8(0xF0 | (value >> 18)))
            output.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            output.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            output.append(UInt8(0x80 | (value & 0x3F)))
        }
    }

    /// Skips any JSON value (string, number, literal, object, array).
    mutating func skipValue() -> Bool {
        skipSpace()
        guard index < bytes.count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            return rawString() != nil
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    guard rawString() != nil else { return false }
                    continue
                }
                if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") { depth += 1 }
                if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 {
                        index += 1
                        return true
                    }
                }
                index += 1
            }
            return false
        default:
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: ","), bytes[index] != UInt8(ascii: "}"),
                bytes[index] != UInt8(ascii: "]"), bytes[index] != 0x20
            {
                index += 1
            }
            return index > start
        }
    }
}
