/// One SASL authentication as the client runs it, for the mechanism configured: PLAIN (RFC 4616: one
/// message, `\0user\0password`) or SCRAM (``ScramClient``). Pure; the connection state machine carries
/// its messages in SaslAuthenticate requests.
struct SaslExchange: Equatable, Sendable {
    private enum Mechanism: Equatable, Sendable {
        case plain(username: String, password: String, sent: Bool)
        case scram(ScramClient)
    }

    private var mechanism: Mechanism

    /// An exchange for `settings`; `nonce` is the SCRAM client nonce.
    init(settings: SaslSettings, nonce: String = ScramClient.randomNonce()) {
        switch settings.mechanism {
        case .plain:
            mechanism = .plain(username: settings.username, password: settings.password, sent: false)
        case .scramSHA256, .scramSHA512:
            mechanism = .scram(ScramClient(
                hash: settings.mechanism == .scramSHA256 ? .sha256 : .sha512, username: settings.username,
                password: settings.password, clientNonce: nonce))
        }
    }

    /// The first message to send.
    mutating func first() -> [UInt8] {
        switch mechanism {
        case .plain(let username, let password, _):
            mechanism = .plain(username: username, password: password, sent: true)
            return [0] + Array(username.utf8) + [0] + Array(password.utf8)
        case .scram(var client):
            let message = client.first()
            mechanism = .scram(client)
            return message
        }
    }

    /// The broker's answer to our last message: the next message to send, or nil when the exchange is
    /// complete on our side.
    mutating func receive(_ token: [UInt8]) throws(SaslFailure) -> [UInt8]? {
        switch mechanism {
        case .plain:
            // PLAIN has one message; the broker's answer carries nothing.
            return nil
        case .scram(var client):
            let next = try client.receive(token)
            mechanism = .scram(client)
            return next
        }
    }
}
