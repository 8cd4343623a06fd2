import KafkaProducer

/// Reads typed values out of YAML nodes, with `${VAR}` / `${VAR:-default}` interpolation in scalars, and
/// records every problem (with file, line, column and key path) instead of stopping at the first.
final class ConfigReader {
    let file: String
    private let environment: [String: String]
    private(set) var errors: [ConfigurationError] = []

    init(file: String, environment: [String: String]) {
        self.file = file
        self.environment = environment
    }

    func fail(_ code: ConfigurationError.Code, _ node: YAMLNode?, _ key: String, _ message: String) {
        errors.append(ConfigurationError(code, file: file, line: node?.line ?? 0, column: node?.column ?? 0, key: key, message))
    }

    /// A mapping's entries by key, reporting keys not in `known` as unknown.
    func mapping(_ node: YAMLNode, _ path: String, known: [String]) -> [String: YAMLNode]? {
        if case .null = node.value { return [:] }
        guard let entries = node.entries else {
            fail(.wrongType, node, path, "expected a mapping (key: value lines), found \(node.kind)")
            return nil
        }
        var result: [String: YAMLNode] = [:]
        for entry in entries {
            let keyPath = path.isEmpty ? entry.key : "\(path).\(entry.key)"
            if known.contains(entry.key) {
                result[entry.key] = entry.value
            } else {
                let near = NameSuggestion.nearest(to: entry.key, among: known, maximumDistance: 3)
                let hint = near.map { " (did you mean '\($0)'?)" } ?? ""
                errors.append(ConfigurationError(
                    .unknownKey, file: file, line: entry.line, column: entry.column, key: keyPath,
                    "unknown key\(hint); known keys here: \(known.joined(separator: ", "))"))
            }
        }
        return result
    }

    /// The scalar text of `node`, interpolated; nil (with an error) for a non-scalar.
    func string(_ node: YAMLNode, _ path: String) -> String? {
        guard case .scalar(let text, _) = node.value else {
            fail(.wrongType, node, path, "expected a string, found \(node.kind)")
            return nil
        }
        return interpolate(text, node, path)
    }

    func integer(_ node: YAMLNode, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard let text = string(node, path) else { return nil }
        let digits = text.replacingUnderscores()
        guard let value = Int(digits) else {
            fail(.wrongType, node, path, "expected a whole number, found '\(text)'")
            return nil
        }
        guard range.contains(value) else {
            fail(.invalidValue, node, path, "\(value) is out of range (\(range.lowerBound)...\(range.upperBound))")
            return nil
        }
        return value
    }

    func bool(_ node: YAMLNode, _ path: String) -> Bool? {
        guard let text = string(node, path) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            fail(.wrongType, node, path, "expected true or false, found '\(text)'")
            return nil
        }
    }

    func choice<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ path: String, _ type: T.Type) -> T? where T.RawValue == String {
        guard let text = string(node, path) else { return nil }
        guard let value = T(rawValue: text) else {
            fail(.invalidValue, node, path, "'\(text)' is not one of: \(T.allCases.map(\.rawValue).joined(separator: ", "))")
            return nil
        }
        return value
    }

    /// A list of strings; a single scalar is accepted as a list of one.
    func strings(_ node: YAMLNode, _ path: String) -> [String]? {
        if case .scalar = node.value { return string(node, path).map { [$0] } }
        if case .null = node.value { return [] }
        guard let items = node.items else {
            fail(.wrongType, node, path, "expected a list of strings, found \(node.kind)")
            return nil
        }
        var result: [String] = []
        for (index, item) in items.enumerated() {
            guard let text = string(item, "\(path)[\(index)]") else { return nil }
            result.append(text)
        }
        return result
    }

    /// `${NAME}` and `${NAME:-default}` replaced from the environment; `$$` is a literal `$`.
    func interpolate(_ text: String, _ node: YAMLNode, _ path: String) -> String? {
        guard text.contains("$") else { return text }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "$", next < text.endIndex, text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard character == "$", next < text.endIndex, text[next] == "{" else {
                output.append(character)
                index = next
                continue
            }
            // A secret's text is never quoted in an error.
            let secret = ProducerConfiguration.isSecretProperty(path)
            guard let close = text[next...].firstIndex(of: "}") else {
                fail(.syntax, node, path, "unterminated '${' in \(secret ? "the value" : "'\(text)'") (write $$ for a literal $)")
                return nil
            }
            let body = text[text.index(after: next)..<close]
            let name: Substring
            var fallback: Substring? = nil
            if let separator = body.firstRange(of: ":-") {
                name = body[..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
            }
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                fail(.syntax, node, path, "'${\(secret ? "..." : body)}' is not a variable reference (${NAME} or ${NAME:-default})")
                return nil
            }
            if let value = environment[String(name)], !(value.isEmpty && fallback != nil) {
                output += value
            } else if let fallback {
                output += fallback
            } else {
                fail(.unsetVariable, node, path, "environment variable \(name) is not set (give a default with ${\(name):-value})")
                return nil
            }
            index = text.index(after: close)
        }
        return output
    }
}

extension String {
    func replacingUnderscores() -> String { String(filter { $0 != "_" }) }
}
