#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `security.protocol`: how connections to the brokers are protected (the names Java and librdkafka use).
public enum SecurityProtocol: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Plain TCP. The default.
    case plaintext = "PLAINTEXT"
    /// TLS.
    case ssl = "SSL"
    /// SASL authentication over plain TCP.
    case saslPlaintext = "SASL_PLAINTEXT"
    /// SASL authentication over TLS.
    case saslSSL = "SASL_SSL"

    /// Whether connections use TLS.
    public var usesTLS: Bool { self == .ssl || self == .saslSSL }

    /// The property value (`SASL_SSL`...).
    public var description: String { rawValue }
}

/// TLS to the brokers (`security.protocol=SSL`), under librdkafka's property names. Certificates and keys
/// are PEM files; TLS 1.2 is the oldest version offered.
public struct TLSSettings: Sendable, Equatable, CustomStringConvertible {
    /// `ssl.ca.location`: a PEM file of the certificate authorities to trust; nil = the system's trust store.
    public var caLocation: String? = nil
    /// `ssl.certificate.location`: the client's certificate chain (PEM), for brokers that require one.
    public var certificateLocation: String? = nil
    /// `ssl.key.location`: the client's private key (PEM), with ``certificateLocation``.
    public var keyLocation: String? = nil
    /// `ssl.key.password`: the passphrase of an encrypted ``keyLocation``. Never printed.
    public var keyPassword: String? = nil
    /// `ssl.endpoint.identification.algorithm`: `https` (the default) checks that the broker's certificate
    /// names the host connected to; `none` (or empty) does not, and the producer logs a warning.
    public var verifyHostname = true

    /// The defaults: the system trust store, no client certificate, hostname verification on.
    public init() {}

    /// The settings, with the key password hidden.
    public var description: String {
        "TLSSettings(ca: \(caLocation ?? "system trust store"), certificate: \(certificateLocation ?? "none"), key: \(keyLocation ?? "none"), key password: \(keyPassword == nil ? "none" : "(hidden)"), verify hostname: \(verifyHostname))"
    }
}

extension ProducerConfiguration {
    /// The `ssl.*` properties this client reads.
    static let tlsProperties: Set<String> = [
        "ssl.ca.location", "ssl.certificate.location", "ssl.key.location", "ssl.key.password",
        "ssl.endpoint.identification.algorithm",
    ]

    /// `ssl.*` properties of the Java client that name something this client reads differently.
    static let javaTLSProperties: [String: String] = [
        "ssl.truststore.location": "Java key stores are not read: give the CA certificates as PEM in ssl.ca.location",
        "ssl.truststore.password": "Java key stores are not read: give the CA certificates as PEM in ssl.ca.location",
        "ssl.truststore.type": "Java key stores are not read: give the CA certificates as PEM in ssl.ca.location",
        "ssl.truststore.certificates": "give the CA certificates as a PEM file in ssl.ca.location",
        "ssl.keystore.location": "Java key stores are not read: give ssl.certificate.location and ssl.key.location (PEM)",
        "ssl.keystore.password": "Java key stores are not read: give ssl.certificate.location and ssl.key.location (PEM)",
        "ssl.keystore.type": "Java key stores are not read: give ssl.certificate.location and ssl.key.location (PEM)",
        "ssl.keystore.key": "give the key as a PEM file in ssl.key.location",
        "ssl.keystore.certificate.chain": "give the certificate chain as a PEM file in ssl.certificate.location",
    ]

    /// Reads `security.protocol` and what it uses: the `ssl.*` properties under SSL and SASL_SSL, the
    /// `sasl.*` ones under SASL_PLAINTEXT and SASL_SSL; those it does not use are listed as without effect,
    /// as Java ignores them.
    mutating func readSecurity(_ properties: [String: String], into reader: inout PropertyReader) {
        let given = properties["security.protocol"]?.trimmingCharacters(in: " ").uppercased()
        guard let chosen = SecurityProtocol(rawValue: given ?? "PLAINTEXT") else {
            reader.fail(.invalidValue, "security.protocol", "expected PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
            return
        }
        securityProtocol = chosen
        switch chosen {
        case .plaintext:
            if given != nil { ignoredProperties["security.protocol"] = "PLAINTEXT is the default" }
            for name in properties.keys where name.hasPrefix("ssl.") || name.hasPrefix("sasl.") {
                ignoredProperties[name] = "security.protocol is PLAINTEXT (Java ignores it too)"
            }
        case .saslPlaintext:
            for name in properties.keys where name.hasPrefix("ssl.") {
                ignoredProperties[name] = "security.protocol is SASL_PLAINTEXT, without TLS (Java ignores it too)"
            }
            readSasl(properties, into: &reader)
        case .saslSSL:
            readTLS(properties, into: &reader)
            readSasl(properties, into: &reader)
        case .ssl:
            for name in properties.keys where name.hasPrefix("sasl.") {
                ignoredProperties[name] = "security.protocol is SSL, without SASL (Java ignores it too)"
            }
            readTLS(properties, into: &reader)
        }
    }

    private mutating func readTLS(_ properties: [String: String], into reader: inout PropertyReader) {
        for name in properties.keys.sorted() where name.hasPrefix("ssl.") && !Self.tlsProperties.contains(name) {
            if let why = Self.javaTLSProperties[name] {
                reader.fail(.unsupported, name, why)
            } else if name == "ssl.protocol" || name == "ssl.enabled.protocols" {
                let versions = (properties[name] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: " ") }
                if versions.allSatisfy({ ["TLS", "TLSv1.2", "TLSv1.3"].contains($0) }) {
                    ignoredProperties[name] = "TLS 1.2 and 1.3 are offered, nothing older"
                } else {
                    reader.fail(.unsupported, name, "only TLSv1.2 and TLSv1.3 are offered")
                }
            } else {
                reader.fail(
                    .unsupported, name,
                    "not read by this client; its TLS properties are " + Self.tlsProperties.sorted().joined(separator: ", "))
            }
        }
        func file(_ name: String) -> String? {
            guard let path = properties[name]?.trimmingCharacters(in: " "), !path.isEmpty else { return nil }
            if access(path, R_OK) != 0 {
                let why = String(cString: strerror(errno))
                reader.fail(.invalidValue, name, "cannot read \(path): \(why)")
            }
            return path
        }
        tls.caLocation = file("ssl.ca.location")
        tls.certificateLocation = file("ssl.certificate.location")
        tls.keyLocation = file("ssl.key.location")
        tls.keyPassword = properties["ssl.key.password"]
        if (tls.certificateLocation == nil) != (tls.keyLocation == nil) {
            let missing = tls.certificateLocation == nil ? "ssl.certificate.location" : "ssl.key.location"
            reader.fail(.missingProperty, missing, "a client certificate needs both ssl.certificate.location and ssl.key.location")
        }
        if tls.keyPassword != nil && tls.keyLocation == nil {
            reader.fail(.conflict, "ssl.key.password", "given without ssl.key.location", value: "(hidden)")
        }
        if let value = properties["ssl.endpoint.identification.algorithm"] {
            switch value.trimmingCharacters(in: " ").lowercased() {
            case "https": tls.verifyHostname = true
            case "none", "": tls.verifyHostname = false
            default: reader.fail(.invalidValue, "ssl.endpoint.identification.algorithm", "expected https or none")
            }
        }
    }

    /// Checks each `bootstrap.servers` entry's listener prefix (`SASL_SSL://host:9093`) against
    /// `security.protocol`: a prefix that names another protocol is an error, never dropped in silence.
    /// `tcp://` stands for PLAINTEXT.
    func checkListenerPrefixes(_ servers: String, into reader: inout PropertyReader) {
        for item in servers.split(separator: ",") {
            let text = item.trimmingCharacters(in: " \t")
            guard let end = text.firstRange(of: "://") else { continue }
            let prefix = text[..<end.lowerBound].uppercased()
            let named = prefix == "TCP" ? SecurityProtocol.plaintext : SecurityProtocol(rawValue: prefix)
            guard let named else {
                reader.fail(
                    .invalidValue, "bootstrap.servers",
                    "'\(text)': unknown listener prefix \(prefix) (PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL)")
                continue
            }
            if named != securityProtocol {
                reader.fail(
                    .conflict, "bootstrap.servers",
                    "'\(text)' is a \(named) listener but security.protocol is \(securityProtocol): set security.protocol=\(named), or drop the prefix")
            }
        }
    }
}
