import Crypto
import CryptoExtras

/// The client side of a SCRAM exchange (RFC 5802; SCRAM-SHA-256 is RFC 7677's, SCRAM-SHA-512 the same with
/// SHA-512), as Kafka runs it inside SaslAuthenticate: client-first, server-first, client-final,
/// server-final. No channel binding (`n,,`), as Kafka. The server's signature is verified: a server that
/// does not know the password cannot pass for the broker.
struct ScramClient: Equatable, Sendable {
    /// The hash function of the mechanism.
    enum Hash: Equatable, Sendable {
        case sha256, sha512

        /// The mechanism's name (`SCRAM-SHA-256`).
        var mechanism: String { self == .sha256 ? "SCRAM-SHA-256" : "SCRAM-SHA-512" }

        func hash(_ bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: return Array(SHA256.hash(data: bytes))
            case .sha512: return Array(SHA512.hash(data: bytes))
            }
        }

        func hmac(key: [UInt8], _ message: [UInt8]) -> [UInt8] {
            let key = SymmetricKey(data: key)
            switch self {
            case .sha256: return Array(HMAC<SHA256>.authenticationCode(for: message, using: key))
            case .sha512: return Array(HMAC<SHA512>.authenticationCode(for: message, using: key))
            }
        }

        /// Hi() of RFC 5802: PBKDF2 with this HMAC, one block of the hash's length.
        func salt(password: [UInt8], salt: [UInt8], iterations: Int) throws -> [UInt8] {
            let function: KDF.Insecure.PBKDF2.HashFunction = self == .sha256 ? .sha256 : .sha512
            let key = try KDF.Insecure.PBKDF2.deriveKey(
                from: password, salt: salt, using: function, outputByteCount: self == .sha256 ? 32 : 64,
                unsafeUncheckedRounds: iterations)
            return key.withUnsafeBytes { Array($0) }
        }
    }

    /// The iteration counts accepted from a server: Kafka's own bounds (its brokers refuse to store fewer
    /// than 4096 or more than 16384), so that a hostile server cannot make the client spin.
    static let iterations: ClosedRange<Int> = 4096...16384

    private enum Stage: Equatable, Sendable {
        case start
        case sentFirst
        case sentFinal(serverSignature: [UInt8])
        case done
    }

    let hash: Hash
    private let username: String
    private let password: [UInt8]
    private let clientNonce: String
    private var stage = Stage.start

    /// A client for `username` and `password`; `clientNonce` is printable ASCII without commas (tests give
    /// RFC 7677's; ``randomNonce()`` otherwise).
    init(hash: Hash, username: String, password: String, clientNonce: String) {
        self.hash = hash
        self.username = username
        self.password = Array(password.utf8)
        self.clientNonce = clientNonce
    }

    /// 24 characters of base64 from 18 random bytes.
    static func randomNonce() -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64.encode((0..<18).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    /// `client-first-message-bare`: the user name (`=` and `,` escaped as RFC 5802 says) and the nonce.
    private var clientFirstBare: String {
        var escaped = ""
        for character in username {
            switch character {
            case "=": escaped += "=3D"
            case ",": escaped += "=2C"
            default: escaped.append(character)
            }
        }
        return "n=\(escaped),r=\(clientNonce)"
    }

    /// The client-first message (`n,,n=user,r=nonce`).
    mutating func first() -> [UInt8] {
        stage = .sentFirst
        return Array(("n,," + clientFirstBare).utf8)
    }

    /// The server's message: server-first gives the client-final message to send; server-final, once its
    /// signature is verified, nil (the exchange is over).
    mutating func receive(_ token: [UInt8]) throws(SaslFailure) -> [UInt8]? {
        guard let text = String(validating: token, as: UTF8.self) else {
            throw SaslFailure(.malformed, "the broker's SCRAM message is not UTF-8")
        }
        let attributes = Self.attributes(text)
        if let error = attributes["e"] {
            throw SaslFailure(.serverError, "the broker ended the SCRAM exchange: \(error)")
        }
        switch stage {
        case .sentFirst:
            return try clientFinal(serverFirst: text, attributes)
        case .sentFinal(let expected):
            guard let signature = attributes["v"].flatMap(Base64.decode) else {
                throw SaslFailure(.malformed, "the broker's SCRAM server-final message has no verifier")
            }
            guard Self.constantTimeEqual(signature, expected) else {
                throw SaslFailure(
                    .serverSignature,
                    "the broker's SCRAM signature is wrong: it does not know this user's credentials (not the broker meant, or a different password stored)")
            }
            stage = .done
            return nil
        case .start, .done:
            throw SaslFailure(.malformed, "an unexpected SCRAM message from the broker")
        }
    }

    private mutating func clientFinal(serverFirst: String, _ attributes: [String: String]) throws(SaslFailure) -> [UInt8] {
        if attributes["m"] != nil {
            throw SaslFailure(.malformed, "the broker asks for a SCRAM extension this client does not know (m=)")
        }
        guard let nonce = attributes["r"], let saltText = attributes["s"], let iterationsText = attributes["i"] else {
            throw SaslFailure(.malformed, "the broker's SCRAM server-first message lacks r, s or i")
        }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else {
            throw SaslFailure(.nonceMismatch, "the broker's SCRAM nonce does not extend ours")
        }
        guard let salt = Base64.decode(saltText), !salt.isEmpty else {
            throw SaslFailure(.malformed, "the broker's SCRAM salt is not base64")
        }
        guard let iterations = Int(iterationsText), Self.iterations.contains(iterations) else {
            throw SaslFailure(
                .iterations,
                "the broker asks for \(iterationsText) SCRAM iterations; Kafka uses \(Self.iterations.lowerBound) to \(Self.iterations.upperBound)")
        }
        let salted: [UInt8]
        do {
            salted = try hash.salt(password: password, salt: salt, iterations: iterations)
        } catch {
            throw SaslFailure(.malformed, "PBKDF2 failed: \(error)")
        }
        let clientKey = hash.hmac(key: salted, Array("Client Key".utf8))
        let storedKey = hash.hash(clientKey)
        let withoutProof = "c=biws,r=\(nonce)"
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = hash.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, clientSignature).map { $0 ^ $1 }
        let serverKey = hash.hmac(key: salted, Array("Server Key".utf8))
        stage = .sentFinal(serverSignature: hash.hmac(key: serverKey, authMessage))
        return Array("\(withoutProof),p=\(Base64.encode(proof))".utf8)
    }

    /// `a=1,b=2` as a dictionary (a value may contain `=`; the first occurrence of a name wins).
    static func attributes(_ text: String) -> [String: String] {
        var result: [String: String] = [:]
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            guard let equals = part.firstIndex(of: "="), part.distance(from: part.startIndex, to: equals) == 1 else { continue }
            let name = String(part[..<equals])
            if result[name] == nil { result[name] = String(part[part.index(after: equals)...]) }
        }
        return result
    }

    /// Compares without stopping at the first difference.
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}

/// A SASL exchange that cannot go on: the broker's message is malformed or wrong, or it reported an error.
struct SaslFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// What went wrong.
    enum Code: String, Sendable {
        /// The broker's message cannot be read.
        case malformed = "sasl_malformed"
        /// The broker's SCRAM nonce does not start with ours.
        case nonceMismatch = "sasl_nonce_mismatch"
        /// The iteration count is outside Kafka's bounds.
        case iterations = "sasl_iterations"
        /// The broker reported an error inside the mechanism (SCRAM `e=`).
        case serverError = "sasl_server_error"
        /// The server's SCRAM signature is wrong.
        case serverSignature = "sasl_server_signature"
    }

    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { "\(message) [\(code.rawValue)]" }
}
