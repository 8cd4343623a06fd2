#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `sasl.mechanism`: how the producer authenticates (`security.protocol` SASL_PLAINTEXT or SASL_SSL).
public enum SaslMechanism: String, Sendable, CaseIterable, CustomStringConvertible {
    /// The user name and password in the clear (RFC 4616); use it over TLS only.
    case plain = "PLAIN"
    /// SCRAM with SHA-256 (RFC 5802, 7677): the password never crosses the wire.
    case scramSHA256 = "SCRAM-SHA-256"
    /// SCRAM with SHA-512.
    case scramSHA512 = "SCRAM-SHA-512"

    /// The mechanism's name (`SCRAM-SHA-256`).
    public var description: String { rawValue }
}

/// SASL authentication (`security.protocol` SASL_PLAINTEXT or SASL_SSL): the mechanism and the
/// credentials, from `sasl.username` and `sasl.password` (librdkafka's names), `sasl.password.file`, or the
/// Java client's `sasl.jaas.config`.
public struct SaslSettings: Sendable, Equatable, CustomStringConvertible {
    /// The mechanism.
    public var mechanism: SaslMechanism
    /// The user name.
    public var username: String
    /// The password. Never printed.
    public var password: String

    /// Makes settings.
    public init(mechanism: SaslMechanism, username: String, password: String) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
    }

    /// The settings, with the password hidden.
    public var description: String { "SaslSettings(mechanism: \(mechanism), username: \(username), password: (hidden))" }
}

extension ProducerConfiguration {
    /// The `sasl.*` properties this client reads.
    static let saslProperties: Set<String> = [
        "sasl.mechanism", "sasl.mechanisms", "sasl.username", "sasl.password", "sasl.password.file", "sasl.jaas.config",
    ]

    /// The JAAS login modules of the Java client whose options this client reads, by mechanism family.
    static let jaasModules = [
        "org.apache.kafka.common.security.plain.PlainLoginModule": [SaslMechanism.plain],
        "org.apache.kafka.common.security.scram.ScramLoginModule": [SaslMechanism.scramSHA256, .scramSHA512],
    ]

    /// Reads `sasl.mechanism` and the credentials (security.protocol SASL_PLAINTEXT or SASL_SSL).
    mutating func readSasl(_ properties: [String: String], into reader: inout PropertyReader) {
        for name in properties.keys.sorted() where name.hasPrefix("sasl.") && !Self.saslProperties.contains(name) {
            if name.hasPrefix("sasl.kerberos.") || name.hasPrefix("sasl.oauthbearer.") || name.hasPrefix("sasl.login.")
                || name == "sasl.login.callback.handler.class" || name == "sasl.client.callback.handler.class"
            {
                ignoredProperties[name] = "for GSSAPI or OAUTHBEARER logins, which this client does not do"
            } else {
                reader.fail(
                    .unsupported, name,
                    "not read by this client; its SASL properties are " + Self.saslProperties.sorted().joined(separator: ", "))
            }
        }
        let mechanismName = properties["sasl.mechanism"] != nil ? "sasl.mechanism" : "sasl.mechanisms"
        if properties["sasl.mechanism"] != nil && properties["sasl.mechanisms"] != nil {
            reader.fail(.conflict, "sasl.mechanisms", "give sasl.mechanism or librdkafka's sasl.mechanisms, not both")
        }
        let supported = SaslMechanism.allCases.map(\.rawValue).joined(separator: ", ")
        var mechanism: SaslMechanism?
        if let value = properties[mechanismName]?.trimmingCharacters(in: " ") {
            mechanism = SaslMechanism(rawValue: value.uppercased())
            if mechanism == nil {
                let why = ["GSSAPI", "OAUTHBEARER"].contains(value.uppercased()) ? "\(value.uppercased()) is not supported; " : ""
                reader.fail(.unsupported, mechanismName, "\(why)this client authenticates with \(supported)")
            }
        } else {
            reader.fail(
                .missingProperty, "sasl.mechanism",
                "required with security.protocol=\(securityProtocol) (the Java client's default, GSSAPI, is not supported): \(supported)")
        }
        var username = properties["sasl.username"]
        var password = properties["sasl.password"]
        if let path = properties["sasl.password.file"]?.trimmingCharacters(in: " ") {
            if password != nil {
                reader.fail(.conflict, "sasl.password.file", "give sasl.password or sasl.password.file, not both", value: path)
            }
            switch Self.readSecretFile(path) {
            case .success(let secret): password = secret
            case .failure(let why): reader.fail(.invalidValue, "sasl.password.file", "cannot read \(path): \(why.message)", value: path)
            }
        }
        if let jaas = properties["sasl.jaas.config"] {
            if username != nil || password != nil {
                reader.fail(.conflict, "sasl.jaas.config", "give the credentials in sasl.jaas.config or in sasl.username and sasl.password, not both")
            }
            switch JaasConfig.parse(jaas) {
            case .failure(let why):
                reader.fail(.invalidValue, "sasl.jaas.config", why.message)
            case .success(let parsed):
                if let families = Self.jaasModules[parsed.module] {
                    if let mechanism, !families.contains(mechanism) {
                        reader.fail(.conflict, "sasl.jaas.config", "\(parsed.module) does not log in with sasl.mechanism=\(mechanism)")
                    }
                    username = parsed.options["username"]
                    password = parsed.options["password"]
                } else {
                    reader.fail(
                        .unsupported, "sasl.jaas.config",
                        "login module \(parsed.module) is not supported: " + Self.jaasModules.keys.sorted().joined(separator: " or "))
                }
            }
        }
        if username == nil || username?.isEmpty == true {
            reader.fail(.missingProperty, "sasl.username", "required with security.protocol=\(securityProtocol) (or username in sasl.jaas.config)")
        }
        if password == nil {
            reader.fail(
                .missingProperty, "sasl.password",
                "required with security.protocol=\(securityProtocol) (or sasl.password.file, or password in sasl.jaas.config)")
        }
        if let mechanism, let username, let password {
            sasl = SaslSettings(mechanism: mechanism, username: username, password: password)
        }
    }

    /// The contents of a secret file, one trailing newline (`\n` or `\r\n`) removed; at most 64 KiB.
    static func readSecretFile(_ path: String) -> Result<String, SettingProblem> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return .failure(SettingProblem(String(cString: strerror(errno)))) }
        defer { close(descriptor) }
        let limit = 64 << 10
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count <= limit {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .failure(SettingProblem(String(cString: strerror(errno))))
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        guard bytes.count <= limit else { return .failure(SettingProblem("larger than 64 KiB: not a password file")) }
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        guard let text = String(validating: bytes, as: UTF8.self) else { return .failure(SettingProblem("not UTF-8")) }
        return .success(text)
    }
}

/// The Java client's `sasl.jaas.config`: `<login module class> required key="value" ...;`. Only what a
/// PLAIN or SCRAM login needs is read: the module and its options.
struct JaasConfig: Equatable {
    /// The login module class.
    var module: String
    /// `required`, `optional`...
    var flag: String
    /// The options, unquoted (`\"` and `\\` unescaped).
    var options: [String: String]

    /// Parses one login module entry. The error never quotes the text (it holds a password).
    static func parse(_ text: String) -> Result<JaasConfig, SettingProblem> {
        var characters = Array(text.unicodeScalars)
        func isSpace(_ scalar: Unicode.Scalar) -> Bool { scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" }
        while characters.last.map(isSpace) == true { characters.removeLast() }
        guard characters.last == ";" else { return .failure(SettingProblem("expected '<LoginModule class> required username=\"...\" password=\"...\";' (the final ';' is missing)")) }
        characters.removeLast()
        var index = 0
        func skipSpace() {
            while index < characters.count, isSpace(characters[index]) { index += 1 }
        }
        func word() -> String {
            var out = ""
            while index < characters.count, !isSpace(characters[index]), characters[index] != "=" {
                out.unicodeScalars.append(characters[index])
                index += 1
            }
            return out
        }
        skipSpace()
        let module = word()
        skipSpace()
        let flag = word()
        guard !module.isEmpty, ["required", "requisite", "sufficient", "optional"].contains(flag) else {
            return .failure(SettingProblem("expected '<LoginModule class> required ...;' (a login module class, then required)"))
        }
        var options: [String: String] = [:]
        while true {
            skipSpace()
            guard index < characters.count else { break }
            let key = word()
            guard !key.isEmpty, index < characters.count, characters[index] == "=" else {
                return .failure(SettingProblem("option \(options.count + 1) is not key=\"value\""))
            }
            index += 1
            var value = ""
            if index < characters.count, characters[index] == "\"" {
                index += 1
                var closed = false
                while index < characters.count {
                    let character = characters[index]
                    index += 1
                    if character == "\\", index < characters.count {
                        value.unicodeScalars.append(characters[index])
                        index += 1
                    } else if character == "\"" {
                        closed = true
                        break
                    } else {
                        value.unicodeScalars.append(character)
                    }
                }
                guard closed else { return .failure(SettingProblem("the value of option \(key) has no closing quote")) }
            } else {
                value = word()
            }
            options[key] = value
        }
        return .success(JaasConfig(module: module, flag: flag, options: options))
    }
}

/// Why a setting's value cannot be used, in a sentence (never quoting a secret).
struct SettingProblem: Error, Equatable {
    var message: String
    init(_ message: String) { self.message = message }
}
