import Crypto
import Foundation
import KafkaWire
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The server side of Kafka's SASL (SaslHandshake v1 + SaslAuthenticate; PLAIN per RFC 4616, SCRAM-SHA-256
/// and SCRAM-SHA-512 per RFC 5802/7677), in front of a broker that does not speak it (tansu): our test
/// broker for SASL. It listens on a free loopback port; each connection gets its own connection to the
/// broker. Before authentication it answers SaslHandshake and SaslAuthenticate itself, forwards ApiVersions
/// (adding SaslHandshake 0-1 and SaslAuthenticate 0-2 to the broker's list) and, as Kafka does, closes a
/// connection that sends anything else; after it, bytes pass both ways untouched.
///
/// The credentials are kept as SCRAM stores them (salt, StoredKey, ServerKey), derived with this file's own
/// Hi() over swift-crypto's HMAC, not the client's PBKDF2. librdkafka proves it right
/// (`SaslTests` in FerryTests: confluent-kafka authenticates with each mechanism and fails with a wrong
/// password) before Ferry's client is tested against it.
public final class SaslGateway: Sendable {
    /// What the gateway saw.
    public struct Counters: Sendable, Equatable {
        /// Successful authentications, by mechanism.
        public var authenticated: [String: Int] = [:]
        /// Failed authentications (wrong password, unknown user, bad proof).
        public var failed = 0
        /// Connections closed for a request other than ApiVersions or SASL before authenticating.
        public var unauthenticatedRequests = 0
        /// SaslHandshake requests for a mechanism not enabled.
        public var unsupportedMechanisms = 0
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let server: Channel
    private let shared: NIOLockedValueBox<Counters>
    private let stopped = NIOLockedValueBox(false)

    /// All three mechanisms.
    public static let allMechanisms = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]

    /// Starts a gateway to `127.0.0.1:targetPort` accepting `users` (name: password) with `mechanisms`.
    public init(targetPort: Int, users: [String: String], mechanisms: [String] = SaslGateway.allMechanisms, port: Int = 0) throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        let shared = NIOLockedValueBox(Counters())
        self.shared = shared
        let credentials = SaslCredentialStore(users: users)
        do {
            server = try ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FakeRequestFrameDecoder()))
                        try channel.pipeline.syncOperations.addHandler(SaslGatewayConnection(
                            targetPort: targetPort, mechanisms: mechanisms, credentials: credentials, counters: shared))
                    }
                }
                .bind(host: "127.0.0.1", port: port).wait()
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        self.port = server.localAddress?.port ?? 0
    }

    deinit { stop() }

    /// What happened so far.
    public var counters: Counters { shared.withLockedValue { $0 } }

    /// Stops listening and closes every connection (once; later calls do nothing).
    public func stop() {
        let first = stopped.withLockedValue { stopped in
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        server.close(promise: nil)
        try? group.syncShutdownGracefully()
    }
}

/// Each user's SCRAM credentials for both hashes, derived once.
struct SaslCredentialStore: Sendable {
    struct Scram: Sendable {
        var salt: [UInt8]
        var iterations: Int
        var storedKey: [UInt8]
        var serverKey: [UInt8]
    }

    let passwords: [String: String]
    let scram: [String: [String: Scram]]

    init(users: [String: String]) {
        passwords = users
        var scram: [String: [String: Scram]] = [:]
        for (user, password) in users {
            for mechanism in ["SCRAM-SHA-256", "SCRAM-SHA-512"] {
                let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
                let salted = ScramServerMath.hi(mechanism, password: Array(password.utf8), salt: salt, iterations: 4096)
                let clientKey = ScramServerMath.hmac(mechanism, key: salted, Array("Client Key".utf8))
                scram[user, default: [:]][mechanism] = Scram(
                    salt: salt, iterations: 4096, storedKey: ScramServerMath.hash(mechanism, clientKey),
                    serverKey: ScramServerMath.hmac(mechanism, key: salted, Array("Server Key".utf8)))
            }
        }
        self.scram = scram
    }
}

/// HMAC, H and Hi (RFC 5802 section 2.2) for the server, written from the RFC over swift-crypto's HMAC.
enum ScramServerMath {
    static func hmac(_ mechanism: String, key: [UInt8], _ message: [UInt8]) -> [UInt8] {
        let key = SymmetricKey(data: key)
        return mechanism == "SCRAM-SHA-256"
            ? Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            : Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
    }

    static func hash(_ mechanism: String, _ bytes: [UInt8]) -> [UInt8] {
        mechanism == "SCRAM-SHA-256" ? Array(SHA256.hash(data: bytes)) : Array(SHA512.hash(data: bytes))
    }

    /// Hi(str, salt, i): U1 = HMAC(str, salt + INT(1)), Ui = HMAC(str, Ui-1), the XOR of U1...Ui.
    static func hi(_ mechanism: String, password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        var u = hmac(mechanism, key: password, salt + [0, 0, 0, 1])
        var result = u
        for _ in 1..<iterations {
            u = hmac(mechanism, key: password, u)
            for index in result.indices { result[index] ^= u[index] }
        }
        return result
    }
}

/// One client connection through the gateway. Confined to its event loop (as is its broker connection).
final class SaslGatewayConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer

    private enum Stage {
        case waitingForHandshake
        case handshaken(mechanism: String)
        case scramSentFirst(mechanism: String, user: String, authMessagePrefix: String, nonce: String)
        case authenticated
    }

    let targetPort: Int
    let mechanisms: [String]
    let credentials: SaslCredentialStore
    let counters: NIOLockedValueBox<Counters>
    typealias Counters = SaslGateway.Counters

    private var stage = Stage.waitingForHandshake
    private var upstream: Channel?
    private var queued: [ByteBuffer] = []
    private var client: Channel?
    /// ApiVersions requests in flight (correlation id: version), whose answers get the SASL APIs added.
    private var apiVersions: [Int32: Int16] = [:]

    init(targetPort: Int, mechanisms: [String], credentials: SaslCredentialStore, counters: NIOLockedValueBox<Counters>) {
        self.targetPort = targetPort
        self.mechanisms = mechanisms
        self.credentials = credentials
        self.counters = counters
    }

    func channelActive(context: ChannelHandlerContext) {
        let client = context.channel
        self.client = client
        ClientBootstrap(group: context.eventLoop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(FakeRequestFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(SaslGatewayUpstream(connection: self))
                }
            }
            .connect(host: "127.0.0.1", port: targetPort)
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    self.upstream = channel
                    for frame in self.queued { channel.write(Self.framed(frame, allocator: channel.allocator), promise: nil) }
                    self.queued = []
                    channel.flush()
                    if !client.isActive { channel.close(promise: nil) }
                case .failure:
                    client.close(promise: nil)
                }
            }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        upstream?.close(promise: nil)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    static func framed(_ frame: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: frame.readableBytes + 4)
        buffer.writeInteger(Int32(frame.readableBytes))
        buffer.writeImmutableBuffer(frame)
        return buffer
    }

    private func forward(_ frame: ByteBuffer) {
        guard let upstream else {
            queued.append(frame)
            return
        }
        upstream.writeAndFlush(Self.framed(frame, allocator: upstream.allocator), promise: nil)
    }

    /// A response from the broker, on its way to the client (ApiVersions answers amended).
    func fromBroker(_ frame: ByteBuffer) {
        guard let client else { return }
        var frame = frame
        if let correlationId = KafkaFrame.peekCorrelationId(frame), let version = apiVersions.removeValue(forKey: correlationId),
            var body = try? KafkaFrame.decodeResponse(ApiVersionsResponse.self, version: version, frame: frame).body, body.errorCode == 0
        {
            body.apiKeys.removeAll { $0.apiKey == .saslHandshake || $0.apiKey == .saslAuthenticate }
            body.apiKeys.append(.init(apiKey: .saslHandshake, minVersion: 0, maxVersion: 1))
            body.apiKeys.append(.init(apiKey: .saslAuthenticate, minVersion: 0, maxVersion: 2))
            var amended = client.allocator.buffer(capacity: frame.readableBytes + 32)
            if (try? KafkaFrame.encodeResponse(body, version: version, correlationId: correlationId, into: &amended)) != nil {
                amended.moveReaderIndex(forwardBy: 4)
                frame = amended
            }
        }
        client.writeAndFlush(Self.framed(frame, allocator: client.allocator), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if case .authenticated = stage {
            forward(frame)
            return
        }
        guard let parsed = try? KafkaFrame.decodeRequestHeader(frame: frame, isFlexible: { key, version in
            switch key {
            case .apiVersions: ApiVersionsRequest.isFlexible(version)
            case .saslAuthenticate: SaslAuthenticateRequest.isFlexible(version)
            default: false
            }
        }) else {
            context.close(promise: nil)
            return
        }
        var (header, body) = parsed
        switch header.apiKey {
        case .apiVersions:
            apiVersions[header.correlationId] = header.apiVersion
            forward(frame)
        case .saslHandshake:
            guard let request = try? SaslHandshakeRequest(from: &body, version: header.apiVersion) else {
                context.close(promise: nil)
                return
            }
            var response = SaslHandshakeResponse(mechanisms: mechanisms)
            if mechanisms.contains(request.mechanism) {
                stage = .handshaken(mechanism: request.mechanism)
            } else {
                response.errorCode = KafkaErrorCode.unsupportedSaslMechanism.rawValue
                counters.withLockedValue { $0.unsupportedMechanisms += 1 }
            }
            respond(response, version: header.apiVersion, correlationId: header.correlationId, context: context, thenClose: false)
        case .saslAuthenticate:
            guard let request = try? SaslAuthenticateRequest(from: &body, version: header.apiVersion) else {
                context.close(promise: nil)
                return
            }
            let (response, close) = authenticate(request.authBytes)
            respond(response, version: header.apiVersion, correlationId: header.correlationId, context: context, thenClose: close)
        default:
            // Kafka closes a connection that sends anything else before authenticating.
            counters.withLockedValue { $0.unauthenticatedRequests += 1 }
            context.close(promise: nil)
        }
    }

    private func respond<Response: KafkaResponse>(
        _ response: Response, version: Int16, correlationId: Int32, context: ChannelHandlerContext, thenClose: Bool
    ) {
        var buffer = context.channel.allocator.buffer(capacity: 256)
        guard (try? KafkaFrame.encodeResponse(response, version: version, correlationId: correlationId, into: &buffer)) != nil else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        let written = context.writeAndFlush(wrapOutboundOut(buffer))
        if thenClose { written.whenComplete { _ in channel.close(promise: nil) } }
    }

    typealias OutboundOut = ByteBuffer

    private func failure(_ message: String) -> (SaslAuthenticateResponse, Bool) {
        counters.withLockedValue { $0.failed += 1 }
        stage = .waitingForHandshake
        return (SaslAuthenticateResponse(errorCode: KafkaErrorCode.saslAuthenticationFailed.rawValue, errorMessage: message), true)
    }

    private func succeeded(_ mechanism: String, token: [UInt8] = []) -> (SaslAuthenticateResponse, Bool) {
        counters.withLockedValue { $0.authenticated[mechanism, default: 0] += 1 }
        stage = .authenticated
        return (SaslAuthenticateResponse(authBytes: token), false)
    }

    /// One SaslAuthenticate token: the answer, and whether to close after it (a failure).
    private func authenticate(_ token: [UInt8]) -> (SaslAuthenticateResponse, Bool) {
        switch stage {
        case .waitingForHandshake, .authenticated:
            return failure("Unexpected SaslAuthenticate request: no SaslHandshake before it")
        case .handshaken(let mechanism) where mechanism == "PLAIN":
            let parts = token.split(separator: 0, omittingEmptySubsequences: false)
            guard parts.count == 3 else { return failure("Invalid SASL/PLAIN response: expected 3 tokens") }
            let user = String(decoding: parts[1], as: UTF8.self)
            let password = String(decoding: parts[2], as: UTF8.self)
            guard let expected = credentials.passwords[user], expected == password else {
                return failure("Authentication failed: Invalid username or password")
            }
            return succeeded(mechanism)
        case .handshaken(let mechanism):
            return scramFirst(mechanism, String(decoding: token, as: UTF8.self))
        case .scramSentFirst(let mechanism, let user, let prefix, let nonce):
            return scramFinal(mechanism, user: user, authMessagePrefix: prefix, nonce: nonce, String(decoding: token, as: UTF8.self))
        }
    }

    private func invalidCredentials(_ mechanism: String) -> (SaslAuthenticateResponse, Bool) {
        failure("Authentication failed during authentication due to invalid credentials with SASL mechanism \(mechanism)")
    }

    /// client-first (`n,,n=user,r=nonce`): the server-first message with our nonce, the salt, the iterations.
    private func scramFirst(_ mechanism: String, _ message: String) -> (SaslAuthenticateResponse, Bool) {
        let parts = message.split(separator: ",", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "n" || parts[0] == "y" else { return failure("Invalid SCRAM client first message") }
        let bare = String(parts[2])
        var user: String?
        var nonce: String?
        for attribute in bare.split(separator: ",") where attribute.count >= 2 {
            let value = String(attribute.dropFirst(2))
            if attribute.hasPrefix("n=") { user = value.replacingOccurrences(of: "=2C", with: ",").replacingOccurrences(of: "=3D", with: "=") }
            if attribute.hasPrefix("r=") { nonce = value }
        }
        guard let user, let nonce, !nonce.isEmpty else { return failure("Invalid SCRAM client first message") }
        guard let stored = credentials.scram[user]?[mechanism] else { return invalidCredentials(mechanism) }
        let combined = nonce + Data((0..<18).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let serverFirst = "r=\(combined),s=\(Data(stored.salt).base64EncodedString()),i=\(stored.iterations)"
        stage = .scramSentFirst(mechanism: mechanism, user: user, authMessagePrefix: "\(bare),\(serverFirst)", nonce: combined)
        return (SaslAuthenticateResponse(authBytes: Array(serverFirst.utf8)), false)
    }

    /// client-final (`c=biws,r=nonce,p=proof`): the proof checked against StoredKey; server-final with our
    /// signature.
    private func scramFinal(
        _ mechanism: String, user: String, authMessagePrefix: String, nonce: String, _ message: String
    ) -> (SaslAuthenticateResponse, Bool) {
        guard let proofRange = message.range(of: ",p=") else { return failure("Invalid SCRAM client final message") }
        let withoutProof = String(message[..<proofRange.lowerBound])
        guard let proof = Data(base64Encoded: String(message[proofRange.upperBound...])).map(Array.init),
            withoutProof == "c=biws,r=\(nonce)", let stored = credentials.scram[user]?[mechanism]
        else {
            return invalidCredentials(mechanism)
        }
        let authMessage = Array("\(authMessagePrefix),\(withoutProof)".utf8)
        let signature = ScramServerMath.hmac(mechanism, key: stored.storedKey, authMessage)
        guard proof.count == signature.count else { return invalidCredentials(mechanism) }
        let clientKey = zip(proof, signature).map { $0 ^ $1 }
        guard ScramServerMath.hash(mechanism, clientKey) == stored.storedKey else { return invalidCredentials(mechanism) }
        let serverSignature = ScramServerMath.hmac(mechanism, key: stored.serverKey, authMessage)
        return succeeded(mechanism, token: Array("v=\(Data(serverSignature).base64EncodedString())".utf8))
    }
}

/// The broker side of a gateway connection: its responses go back to the client.
final class SaslGatewayUpstream: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private let connection: SaslGatewayConnection

    init(connection: SaslGatewayConnection) {
        self.connection = connection
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.fromBroker(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection.brokerClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension SaslGatewayConnection {
    /// The broker closed: so does the client's connection.
    func brokerClosed() {
        client?.close(promise: nil)
    }
}
