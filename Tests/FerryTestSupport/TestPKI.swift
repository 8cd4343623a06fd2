import Foundation

/// A throwaway certificate authority and certificates made with `openssl` (the real tool users have), in a
/// directory readable by the unprivileged user tests run `ferry` as: the CA, a server certificate for
/// `localhost` and 127.0.0.1, a client certificate, and the bad ones of the negative tests (another CA,
/// an expired server certificate, one for another host).
public struct TestPKI: Sendable {
    /// Where the files are.
    public let directory: TemporaryDirectory

    /// The CA certificate (PEM): what `ssl.ca.location` names.
    public var caCertificate: String { directory.file("ca.pem") }
    /// A CA that signed nothing here (the wrong-CA test).
    public var otherCACertificate: String { directory.file("other-ca.pem") }
    /// The server's certificate and key (SAN localhost, 127.0.0.1).
    public var serverCertificate: String { directory.file("server.pem") }
    public var serverKey: String { directory.file("server.key") }
    /// A server certificate that expired in 2021.
    public var expiredServerCertificate: String { directory.file("expired.pem") }
    /// A server certificate for `other.example` only.
    public var wrongHostServerCertificate: String { directory.file("wrong-host.pem") }
    /// The client's certificate and key (plain), and the key encrypted with ``clientKeyPassword``.
    public var clientCertificate: String { directory.file("client.pem") }
    public var clientKey: String { directory.file("client.key") }
    public var encryptedClientKey: String { directory.file("client-encrypted.key") }
    /// The passphrase of ``encryptedClientKey``.
    public let clientKeyPassword = "s3cret-key-passphrase"

    /// A failure of `openssl`.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Makes every file (a few hundred milliseconds of `openssl`).
    public init() throws {
        directory = try TemporaryDirectory("pki")
        let dir = directory.path
        func openssl(_ arguments: [String]) throws {
            let result = try Subprocess.run("/usr/bin/openssl", arguments, timeout: 60)
            guard result.status == 0 else {
                throw Failure(description: "openssl \(arguments.joined(separator: " ")): \(result.stderr)")
            }
        }
        func write(_ name: String, _ text: String) throws {
            try Data(text.utf8).write(to: URL(fileURLWithPath: directory.file(name)))
        }
        for ca in ["ca", "other-ca"] {
            try openssl([
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(dir)/\(ca).key",
                "-out", "\(dir)/\(ca).pem", "-days", "30", "-subj", "/CN=Ferry test \(ca)",
            ])
        }
        try write("server.ext", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
        try write("wrong-host.ext", "subjectAltName=DNS:other.example\nextendedKeyUsage=serverAuth\n")
        try write("client.ext", "extendedKeyUsage=clientAuth\n")
        for (name, subject) in [("server", "/CN=localhost"), ("client", "/CN=ferry-client")] {
            try openssl([
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "\(dir)/\(name).key",
                "-out", "\(dir)/\(name).csr", "-subj", subject,
            ])
            try openssl([
                "x509", "-req", "-in", "\(dir)/\(name).csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                "-CAcreateserial", "-out", "\(dir)/\(name).pem", "-days", "30", "-extfile", "\(dir)/\(name).ext",
            ])
        }
        try openssl([
            "x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
            "-CAcreateserial", "-out", "\(dir)/wrong-host.pem", "-days", "30", "-extfile", "\(dir)/wrong-host.ext",
        ])
        // An expired certificate needs `openssl ca` (OpenSSL 3.0's x509 cannot date one in the past).
        try write("index.txt", "")
        try write("serial", "1000\n")
        try write("ca.cnf", """
            [ ca ]
            default_ca = test
            [ test ]
            database = \(dir)/index.txt
            new_certs_dir = \(dir)
            serial = \(dir)/serial
            default_md = sha256
            policy = any
            unique_subject = no
            [ any ]
            commonName = supplied

            """)
        try openssl([
            "ca", "-batch", "-config", "\(dir)/ca.cnf", "-cert", "\(dir)/ca.pem", "-keyfile", "\(dir)/ca.key",
            "-in", "\(dir)/server.csr", "-out", "\(dir)/expired.pem", "-startdate", "20200101000000Z",
            "-enddate", "20210101000000Z", "-extfile", "\(dir)/server.ext", "-notext",
        ])
        try openssl([
            "pkey", "-in", "\(dir)/client.key", "-out", "\(dir)/client-encrypted.key", "-aes256",
            "-passout", "pass:\(clientKeyPassword)",
        ])
        // The unprivileged user the tests run ferry as must read them (a test PKI, nothing secret).
        chmod(dir, 0o755)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { chmod("\(dir)/\(name)", 0o644) }
    }

    /// Removes the files.
    public func remove() { directory.remove() }
}

/// tansu behind a TLS terminator from Debian (`stunnel4`): the broker advertises the terminator's port, so
/// clients reach it only over TLS. The server certificate, and whether a client certificate signed by the
/// test CA is required, are the test's choice.
public final class TLSTansu: @unchecked Sendable {
    /// The broker (its own port serves the topic tool).
    public let broker: TansuBroker
    /// The TLS port.
    public let port: Int
    /// Our SASL server between stunnel and the broker (SASL_SSL), when users were given.
    public let gateway: SaslGateway?
    private let stunnel: Process
    private let directory: TemporaryDirectory

    /// `localhost:<TLS port>` (what the server certificate names).
    public var bootstrap: String { "localhost:\(port)" }

    /// A failure to start stunnel.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Starts tansu advertising `port`, and stunnel on `port` with `certificate` (default: the PKI's server
    /// certificate); `requireClientCertificate` makes stunnel refuse clients without one from the test CA.
    /// With `saslUsers`, stunnel forwards to a ``SaslGateway`` (SASL_SSL) accepting them with `mechanisms`.
    public init(
        pki: TestPKI, certificate: String? = nil, requireClientCertificate: Bool = false, saslUsers: [String: String]? = nil,
        mechanisms: [String] = SaslGateway.allMechanisms
    ) throws {
        port = try FreePort.find()
        let tansuPort = try FreePort.find()
        if let saslUsers {
            gateway = try SaslGateway(targetPort: tansuPort, users: saslUsers, mechanisms: mechanisms)
        } else {
            gateway = nil
        }
        let brokerPort = gateway?.port ?? tansuPort
        directory = try TemporaryDirectory("stunnel")
        let config = directory.file("stunnel.conf")
        var text = """
            foreground = yes
            pid =
            debug = 4
            output = \(directory.file("stunnel.log"))
            [kafka]
            accept = 127.0.0.1:\(port)
            connect = 127.0.0.1:\(brokerPort)
            cert = \(certificate ?? pki.serverCertificate)
            key = \(pki.serverKey)
            sslVersionMin = TLSv1.2

            """
        if requireClientCertificate { text += "verifyChain = yes\nCAfile = \(pki.caCertificate)\n" }
        try Data(text.utf8).write(to: URL(fileURLWithPath: config))
        do {
            broker = try TansuBroker(port: tansuPort, advertisedPort: port)
        } catch {
            gateway?.stop()
            throw error
        }
        stunnel = Process()
        stunnel.executableURL = URL(fileURLWithPath: "/usr/bin/stunnel4")
        stunnel.arguments = [config]
        stunnel.standardInput = FileHandle.nullDevice
        stunnel.standardOutput = FileHandle.nullDevice
        stunnel.standardError = FileHandle.nullDevice
        do {
            try stunnel.run()
        } catch {
            broker.stop()
            throw Failure(description: "cannot start /usr/bin/stunnel4: \(error) (apt-get install stunnel4)")
        }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if FreePort.accepts(port: port) { return }
            if !stunnel.isRunning { break }
            usleep(50_000)
        }
        let log = (try? String(contentsOfFile: directory.file("stunnel.log"), encoding: .utf8)) ?? ""
        stop()
        throw Failure(description: "stunnel did not listen on \(port): \(log.suffix(2000))")
    }

    deinit { stop() }

    /// Creates a topic straight at the broker.
    public func createTopic(_ name: String, partitions: Int) throws {
        try broker.createTopic(name, partitions: partitions)
    }

    /// Stops stunnel (by its PID) and the broker.
    public func stop() {
        if stunnel.isRunning {
            // SIGTERM may be blocked (a child inherits the test thread's signal mask): SIGKILL, by its PID.
            kill(stunnel.processIdentifier, SIGKILL)
            stunnel.waitUntilExit()
        }
        gateway?.stop()
        broker.stop()
        directory.remove()
    }

    /// The end of stunnel's log, for failure messages.
    public func recentLog() -> String {
        String(((try? String(contentsOfFile: directory.file("stunnel.log"), encoding: .utf8)) ?? "").suffix(3000))
    }
}
