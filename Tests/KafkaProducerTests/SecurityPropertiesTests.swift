import FerryTestSupport
import FerryTestTags
import Foundation
import Logging
import Testing

@testable import KafkaProducer

/// `security.protocol` and the `ssl.*` properties: what is read, what is refused and why, listener prefixes
/// in `bootstrap.servers`, and secrets kept out of every message.
@Suite("Security properties")
struct SecurityPropertiesTests {
    /// Three readable files for the certificate properties.
    static func files() throws -> (TemporaryDirectory, ca: String, certificate: String, key: String) {
        let directory = try TemporaryDirectory("security-properties")
        for name in ["ca.pem", "client.pem", "client.key"] {
            try Data("placeholder\n".utf8).write(to: URL(fileURLWithPath: directory.file(name)))
        }
        return (directory, directory.file("ca.pem"), directory.file("client.pem"), directory.file("client.key"))
    }

    static func errors(_ properties: [String: String]) -> [ProducerConfigurationError] {
        do {
            _ = try ProducerConfiguration(properties: properties)
            return []
        } catch {
            return error.errors
        }
    }

    @Test("SSL with a CA file, a client certificate and an encrypted key; hostname verification on unless none")
    func ssl() throws {
        let (directory, ca, certificate, key) = try Self.files()
        defer { directory.remove() }
        let configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "SSL://broker:9093", "security.protocol": "ssl", "ssl.ca.location": ca,
            "ssl.certificate.location": certificate, "ssl.key.location": key, "ssl.key.password": "hunter2",
            "ssl.enabled.protocols": "TLSv1.2,TLSv1.3", "sasl.mechanism": "PLAIN",
        ])
        #expect(configuration.securityProtocol == .ssl)
        #expect(configuration.tls.caLocation == ca && configuration.tls.certificateLocation == certificate)
        #expect(configuration.tls.keyLocation == key && configuration.tls.keyPassword == "hunter2")
        #expect(configuration.tls.verifyHostname)
        #expect(configuration.ignoredProperties["sasl.mechanism"] != nil && configuration.ignoredProperties["ssl.enabled.protocols"] != nil)
        #expect(!"\(configuration.tls)".contains("hunter2") && !"\(configuration)".contains("hunter2"))
        let unverified = try ProducerConfiguration(properties: [
            "bootstrap.servers": "b:9093", "security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "none",
        ])
        #expect(!unverified.tls.verifyHostname && unverified.tls.caLocation == nil)
        let empty = try ProducerConfiguration(properties: [
            "bootstrap.servers": "b:9093", "security.protocol": "SSL", "ssl.endpoint.identification.algorithm": "",
        ])
        #expect(!empty.tls.verifyHostname)
    }

    @Test("under PLAINTEXT the ssl.* properties change nothing and are listed, as Java ignores them")
    func plaintextIgnoresTLS() throws {
        let configuration = try ProducerConfiguration(properties: [
            "bootstrap.servers": "b:9092", "ssl.truststore.location": "/etc/kafka/truststore.jks", "ssl.ca.location": "/nonexistent",
        ])
        #expect(configuration.securityProtocol == .plaintext)
        #expect(configuration.ignoredProperties["ssl.truststore.location"] == "security.protocol is PLAINTEXT (Java ignores it too)")
        #expect(configuration.tls == TLSSettings())
    }

    @Test("a listener prefix must agree with security.protocol; never dropped in silence")
    func listenerPrefixes() {
        let conflict = Self.errors(["bootstrap.servers": "SASL_SSL://b:9093"])
        #expect(conflict.count == 1 && conflict[0].property == "bootstrap.servers" && conflict[0].code == .conflict, "\(conflict)")
        #expect(conflict.first?.message.contains("is a SASL_SSL listener but security.protocol is PLAINTEXT") == true, "\(conflict)")
        #expect(Self.errors(["bootstrap.servers": "SSL://b:9093", "security.protocol": "SSL"]).isEmpty)
        #expect(Self.errors(["bootstrap.servers": "PLAINTEXT://a:9092,tcp://b:9092"]).isEmpty)
        let mixed = Self.errors(["bootstrap.servers": "SSL://a:9093,PLAINTEXT://b:9092", "security.protocol": "SSL"])
        #expect(mixed.count == 1 && mixed[0].message.contains("'PLAINTEXT://b:9092' is a PLAINTEXT listener"), "\(mixed)")
        let unknown = Self.errors(["bootstrap.servers": "HTTPS://b:443"])
        #expect(unknown.count == 1 && unknown[0].code == .invalidValue && unknown[0].message.contains("unknown listener prefix HTTPS"))
    }

    @Test("refused at once, each with why: Java key stores (PEM instead), unknown ssl.* (the supported list), old TLS versions, unreadable files, a certificate without its key")
    func refused() throws {
        let (directory, _, certificate, _) = try Self.files()
        defer { directory.remove() }
        let errors = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SSL", "ssl.truststore.location": "/etc/kafka/truststore.jks",
            "ssl.cipher.suites": "TLS_AES_128_GCM_SHA256", "ssl.enabled.protocols": "TLSv1.1,TLSv1.2",
            "ssl.ca.location": "/nonexistent/ca.pem", "ssl.certificate.location": certificate,
        ])
        let byName = Dictionary(grouping: errors, by: \.property)
        #expect(byName.count == 5, "\(errors)")
        #expect(byName["ssl.truststore.location"]?.first?.message.contains("give the CA certificates as PEM in ssl.ca.location") == true)
        #expect(byName["ssl.cipher.suites"]?.first?.message.contains("ssl.ca.location, ssl.certificate.location") == true)
        #expect(byName["ssl.enabled.protocols"]?.first?.code == .unsupported)
        #expect(byName["ssl.ca.location"]?.first?.message.contains("cannot read /nonexistent/ca.pem: No such file or directory") == true)
        #expect(byName["ssl.key.location"]?.first?.code == .missingProperty)
        #expect(Self.errors(["bootstrap.servers": "b:9093", "security.protocol": "TLS"]).first?.code == .invalidValue)
    }

    @Test("SASL: librdkafka's names (sasl.mechanisms, sasl.username, sasl.password), Java's sasl.jaas.config, sasl.password.file without its trailing newline")
    func sasl() throws {
        let plain = try ProducerConfiguration(properties: [
            "bootstrap.servers": "SASL_PLAINTEXT://b:9092", "security.protocol": "sasl_plaintext", "sasl.mechanisms": "plain",
            "sasl.username": "alice", "sasl.password": "s3cret", "ssl.ca.location": "/nonexistent", "sasl.kerberos.service.name": "kafka",
        ])
        #expect(plain.sasl == SaslSettings(mechanism: .plain, username: "alice", password: "s3cret"))
        #expect(plain.ignoredProperties["ssl.ca.location"] != nil && plain.ignoredProperties["sasl.kerberos.service.name"] != nil)
        #expect(!"\(plain.sasl!)".contains("s3cret"))
        let jaas = try ProducerConfiguration(properties: [
            "bootstrap.servers": "b:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.jaas.config": #"org.apache.kafka.common.security.scram.ScramLoginModule required username="svc" password="p\"w;d";"#,
        ])
        #expect(jaas.sasl == SaslSettings(mechanism: .scramSHA512, username: "svc", password: #"p"w;d"#))
        #expect(jaas.securityProtocol.usesTLS)
        let directory = try TemporaryDirectory("sasl-password")
        defer { directory.remove() }
        try Data("from a file\n".utf8).write(to: URL(fileURLWithPath: directory.file("password")))
        let file = try ProducerConfiguration(properties: [
            "bootstrap.servers": "b:9092", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.username": "bob", "sasl.password.file": directory.file("password"),
        ])
        #expect(file.sasl?.password == "from a file")
    }

    @Test("SASL refused at once, each with why: no mechanism (Java's default GSSAPI is not supported), OAUTHBEARER, no credentials, a JAAS module of the wrong family, an unreadable password file, both password and file")
    func saslRefused() throws {
        let missing = Self.errors(["bootstrap.servers": "b:9093", "security.protocol": "SASL_SSL"])
        #expect(Set(missing.map(\.property)) == ["sasl.mechanism", "sasl.username", "sasl.password"], "\(missing)")
        #expect(missing.first { $0.property == "sasl.mechanism" }?.message.contains("GSSAPI, is not supported") == true)
        let oauth = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "OAUTHBEARER", "sasl.username": "u",
            "sasl.password": "p",
        ])
        #expect(oauth.count == 1 && oauth[0].message.contains("OAUTHBEARER is not supported; this client authenticates with PLAIN, SCRAM-SHA-256, SCRAM-SHA-512"), "\(oauth)")
        let family = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-256",
            "sasl.jaas.config": #"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2";"#,
        ])
        #expect(family.count == 1 && family[0].code == .conflict && family[0].value == "(hidden)", "\(family)")
        let broken = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SASL_SSL", "sasl.mechanism": "PLAIN",
            "sasl.jaas.config": #"org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="hunter2""#,
        ])
        #expect(broken.contains { $0.property == "sasl.jaas.config" && $0.message.contains("final ';' is missing") }, "\(broken)")
        #expect(!"\(broken)".contains("hunter2"))
        let file = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN", "sasl.username": "u",
            "sasl.password": "hunter2", "sasl.password.file": "/nonexistent/password",
        ])
        #expect(Set(file.map(\.property)) == ["sasl.password.file"] && file.count == 2, "\(file)")
        #expect(file.contains { $0.message.contains("cannot read /nonexistent/password: No such file or directory") })
    }

    @Test("a secret's value never appears in an error, even under a misspelt name")
    func secretsHidden() {
        let errors = Self.errors([
            "bootstrap.servers": "b:9093", "security.protocol": "SSL", "ssl.key.passwd": "hunter2", "ssl.key.password": "hunter2",
            "sasl.password": "hunter2",
        ])
        #expect(!errors.isEmpty)
        for error in errors {
            #expect(!"\(error)".contains("hunter2"), "\(error)")
        }
        #expect(errors.contains { $0.property == "ssl.key.password" && $0.value == "(hidden)" })
    }

    @Test(
        "TLS files that cannot be used fail the start with tls_setup_failed, naming the property and never the password",
        .tags(.childProcess), .needsChildProcesses)
    func tlsSetupFailed() async throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        func start(_ properties: [String: String]) async throws -> ProducerError? {
            var all = ["bootstrap.servers": "localhost:1", "security.protocol": "SSL"]
            all.merge(properties) { $1 }
            do {
                let producer = try KafkaProducer(configuration: ProducerConfiguration(properties: all), logger: Logger(label: "tls-setup"))
                _ = await producer.close(timeout: .seconds(5))
                return nil
            } catch let error as ProducerError {
                return error
            }
        }
        let notPEM = try #require(try await start(["ssl.ca.location": pki.serverKey]))
        #expect(notPEM.code == .tlsSetupFailed && notPEM.message.contains("ssl.ca.location"), "\(notPEM)")
        let wrongPassword = try #require(try await start([
            "ssl.certificate.location": pki.clientCertificate, "ssl.key.location": pki.encryptedClientKey,
            "ssl.key.password": "not-the-passphrase",
        ]))
        #expect(wrongPassword.code == .tlsSetupFailed && wrongPassword.message.contains("is ssl.key.password right?"), "\(wrongPassword)")
        #expect(!"\(wrongPassword)".contains("not-the-passphrase"))
        let noPassword = try #require(try await start([
            "ssl.certificate.location": pki.clientCertificate, "ssl.key.location": pki.encryptedClientKey,
        ]))
        #expect(noPassword.code == .tlsSetupFailed && noPassword.message.contains("encrypted? give ssl.key.password"), "\(noPassword)")
        let good = try await start(["ssl.ca.location": pki.caCertificate])
        #expect(good == nil, "\(String(describing: good))")
    }
}
