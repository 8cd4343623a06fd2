#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOSSL
import NIOTLS

/// TLS to the brokers (`security.protocol=SSL`): TCP as ``TCPConnector`` opens it, then a TLS handshake
/// (swift-nio-ssl) that must finish before the channel is handed to the core, within the connection
/// setup timeout. A failed handshake is a failed connection attempt: logged once with a reason a person can
/// act on (``TLSConnector/explain(_:address:)``), retried with the reconnect backoff.
struct TLSConnector: BrokerConnector {
    let tcp: TCPConnector
    let context: NIOSSLContext

    /// Builds the TLS context from `settings` (files are read now): TLS 1.2 or newer, the CA file or the
    /// system trust store, the client certificate and key if given.
    init(settings: TLSSettings, tcp: TCPConnector) throws(ProducerError) {
        self.tcp = tcp
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = settings.verifyHostname ? .fullVerification : .noHostnameVerification
        do {
            if let ca = settings.caLocation {
                let roots = try NIOSSLCertificate.fromPEMFile(ca)
                guard !roots.isEmpty else { throw ProducerError(.tlsSetupFailed, "ssl.ca.location \(ca) holds no PEM certificate") }
                configuration.trustRoots = .certificates(roots)
            }
        } catch let error as ProducerError {
            throw error
        } catch {
            throw ProducerError(.tlsSetupFailed, "ssl.ca.location \(settings.caLocation ?? ""): not a PEM certificate file (\(error))")
        }
        if let certificate = settings.certificateLocation, let key = settings.keyLocation {
            do {
                configuration.certificateChain = try NIOSSLCertificate.fromPEMFile(certificate).map { .certificate($0) }
            } catch {
                throw ProducerError(.tlsSetupFailed, "ssl.certificate.location \(certificate): not a PEM certificate file (\(error))")
            }
            do {
                if let password = settings.keyPassword {
                    let bytes = Array(password.utf8)
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem) { setter in setter(bytes) })
                } else {
                    configuration.privateKey = .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))
                }
            } catch {
                // Never the password itself.
                throw ProducerError(
                    .tlsSetupFailed,
                    "ssl.key.location \(key): cannot read the private key"
                        + (settings.keyPassword == nil ? " (encrypted? give ssl.key.password)" : " (is ssl.key.password right?)"))
            }
        }
        do {
            context = try NIOSSLContext(configuration: configuration)
        } catch {
            throw ProducerError(.tlsSetupFailed, "the TLS settings cannot be used: \(error)")
        }
    }

    func connect(
        to address: BrokerAddress, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let context = self.context
        // SNI and the name checked: the host as given; an IP address is checked against the certificate's
        // IP addresses (no SNI).
        let hostname = Self.isIPAddress(address.host) ? nil : address.host
        let timeout = tcp.connectTimeout
        return Self.handshake(
            tcp, to: address, on: eventLoop,
            tls: { try NIOSSLClientHandler(context: context, serverHostname: hostname) }, then: initialize
        ).flatMapError { error in
            guard "\(error)".contains("CERTIFICATE_VERIFY_FAILED") else {
                return eventLoop.makeFailedFuture(BrokerConnectionError(address: address, reason: Self.explain(error, address: address)))
            }
            // BoringSSL says only that verification failed: look at the certificate to say why.
            return Self.diagnose(address, hostname: hostname, timeout: timeout, on: eventLoop).flatMapThrowing { why in
                throw BrokerConnectionError(
                    address: address, reason: why.map { "TLS: \($0)" } ?? Self.explain(error, address: address))
            }
        }
    }

    /// Why a broker's certificate failed verification: a second handshake that accepts any certificate,
    /// only to read the broker's chain (nothing is sent on it), then the dates and the issuer of its first
    /// certificate. Nil if that handshake fails too.
    static func diagnose(
        _ address: BrokerAddress, hostname: String?, timeout: TimeAmount, on eventLoop: any EventLoop
    ) -> EventLoopFuture<String?> {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        configuration.certificateVerification = .noHostnameVerification
        guard let context = try? NIOSSLContext(configuration: configuration) else { return eventLoop.makeSucceededFuture(nil) }
        let chain = Locked<[NIOSSLCertificate]>([])
        let tcp = TCPConnector(connectTimeout: timeout, channelInitializer: nil)
        return handshake(
            tcp, to: address, on: eventLoop,
            tls: {
                try NIOSSLClientHandler(context: context, serverHostname: hostname) { certificates, promise in
                    chain.withLock { $0 = certificates }
                    promise.succeed(.certificateVerified)
                }
            },
            then: { $0.eventLoop.makeSucceededVoidFuture() }
        ).map { channel -> String? in
            channel.close(promise: nil)
            guard let leaf = chain.withLock({ $0.first }) else { return nil }
            return describeUntrusted(leaf, now: time(nil))
        }.recover { _ in nil }
    }

    /// TCP through `tcp`, then `tls` and a ``TLSHandshakeWaiter``, then `then` (the handlers that follow);
    /// the channel once the handshake ended, which must happen within the TCP setup timeout (else the
    /// channel is closed and the future fails).
    static func handshake(
        _ tcp: TCPConnector, to address: BrokerAddress, on eventLoop: any EventLoop,
        tls: @escaping @Sendable () throws -> NIOSSLClientHandler,
        then: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let handshake = eventLoop.makePromise(of: Void.self)
        let waiterAdded = NIOLoopBoundBox(false, eventLoop: eventLoop)
        let timeout = tcp.connectTimeout
        let connected = tcp.connect(to: address, on: eventLoop) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(try tls())
                try channel.pipeline.syncOperations.addHandler(TLSHandshakeWaiter(promise: handshake))
                waiterAdded.value = true
            }.flatMap { then(channel) }
        }
        connected.whenFailure { error in
            if !waiterAdded.value { handshake.fail(error) }
        }
        return connected.flatMap { channel in
            // A port that answers TLS with silence would otherwise hold the attempt for ever.
            let deadline = eventLoop.scheduleTask(in: timeout) {
                handshake.fail(TLSHandshakeTimeout(address: address, timeout: timeout))
                channel.close(promise: nil)
            }
            return handshake.futureResult.map { channel }.always { _ in deadline.cancel() }
        }
    }

    /// Why `certificate` (the broker's own) was refused, as far as its dates and issuer tell.
    static func describeUntrusted(_ certificate: NIOSSLCertificate, now: time_t) -> String {
        func name(_ parts: [SSLCertificateName]) -> String {
            let common = parts.first { $0.type == .commonName }?.value
            return common.map { "'\($0)'" } ?? "(no common name)"
        }
        let subject = name(certificate.subjectName)
        if certificate.notValidAfter < now {
            return "the broker's certificate \(subject) expired on \(Self.date(certificate.notValidAfter))"
        }
        if certificate.notValidBefore > now {
            return "the broker's certificate \(subject) is not valid before \(Self.date(certificate.notValidBefore))"
        }
        return "the broker's certificate \(subject) is issued by \(name(certificate.issuerName)), which ssl.ca.location (or the system's trust store) does not trust"
    }

    /// `2021-01-01 00:00 UTC`.
    static func date(_ time: time_t) -> String {
        var parts = tm()
        var value = time
        gmtime_r(&value, &parts)
        func two(_ number: Int32) -> String { number < 10 ? "0\(number)" : "\(number)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday)) \(two(parts.tm_hour)):\(two(parts.tm_min)) UTC"
    }

    /// Whether `host` is an IPv4 or IPv6 literal.
    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// A reason a person can act on, for a failed TLS connection.
    static func explain(_ error: any Error, address: BrokerAddress) -> String {
        if let error = error as? BrokerConnectionError { return error.reason }
        if error is TLSHandshakeTimeout { return "\(error)" }
        let text = "\(error)"
        if let extra = error as? NIOSSLExtraError, extra == .failedToValidateHostname {
            return "TLS: the broker's certificate does not name \(address.host) (hostname verification; ssl.endpoint.identification.algorithm=none turns it off): \(text)"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "TLS: the broker's certificate is not trusted: not signed by a CA of ssl.ca.location (or the system's trust store), or expired, or not yet valid: \(text)"
        }
        if text.contains("WRONG_VERSION_NUMBER") || text.contains("PACKET_LENGTH_TOO_LONG") || text.contains("UNEXPECTED_RECORD") {
            return "TLS: \(address) does not speak TLS (a PLAINTEXT listener? then security.protocol=PLAINTEXT): \(text)"
        }
        if text.contains("CERTIFICATE_REQUIRED") || text.contains("HANDSHAKE_FAILURE") || text.contains("BAD_CERTIFICATE")
            || text.contains("UNKNOWN_CA")
        {
            return "TLS: the broker refused the handshake (it may require a client certificate it trusts: ssl.certificate.location, ssl.key.location): \(text)"
        }
        if let ssl = error as? NIOSSLError, case .uncleanShutdown = ssl {
            return "TLS: the broker closed the connection during the handshake (it may require a client certificate: ssl.certificate.location, ssl.key.location)"
        }
        if error is ChannelError {
            return "TLS: the connection closed during the handshake (\(text)); the broker may require a client certificate, or not speak TLS"
        }
        return "TLS: \(text)"
    }
}

/// A connection attempt that failed, with the reason to log.
struct BrokerConnectionError: Error, CustomStringConvertible {
    var address: BrokerAddress
    var reason: String
    var description: String { reason }
}

/// The TLS handshake did not finish within `socket.connection.setup.timeout.ms`.
struct TLSHandshakeTimeout: Error, CustomStringConvertible {
    var address: BrokerAddress
    var timeout: TimeAmount
    var description: String {
        "TLS: no handshake with \(address) within \(timeout.nanoseconds / 1_000_000) ms (socket.connection.setup.timeout.ms); does it speak TLS?"
    }
}

/// Completes `promise` when the TLS handshake ends, fails it if the connection errs or closes first, then
/// passes everything on unchanged.
final class TLSHandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    private let promise: EventLoopPromise<Void>
    private var done = false

    init(promise: EventLoopPromise<Void>) {
        self.promise = promise
    }

    private func finish(_ result: Result<Void, any Error>) {
        guard !done else { return }
        done = true
        promise.completeWith(result)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event { finish(.success(())) }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.eof))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        finish(.failure(ChannelError.ioOnClosedChannel))
    }
}
