import Foundation

/// tansu behind our ``SaslGateway`` (SASL_PLAINTEXT): the broker advertises the gateway's port, so every
/// client connection, including those after metadata, authenticates.
public final class SaslTansu: @unchecked Sendable {
    /// The gateway clients connect to.
    public let gateway: SaslGateway
    /// The broker (its own port serves the topic tool).
    public let broker: TansuBroker
    /// `127.0.0.1:<gateway port>`.
    public var bootstrap: String { "127.0.0.1:\(gateway.port)" }

    /// Starts the gateway (accepting `users` with `mechanisms`) on a free port, then tansu advertising it.
    public init(users: [String: String], mechanisms: [String] = SaslGateway.allMechanisms) throws {
        let gatewayPort = try FreePort.find()
        let brokerPort = try FreePort.find()
        gateway = try SaslGateway(targetPort: brokerPort, users: users, mechanisms: mechanisms, port: gatewayPort)
        do {
            broker = try TansuBroker(port: brokerPort, advertisedPort: gatewayPort)
        } catch {
            gateway.stop()
            throw error
        }
    }

    deinit { stop() }

    /// Creates a topic straight at the broker.
    public func createTopic(_ name: String, partitions: Int) throws {
        try broker.createTopic(name, partitions: partitions)
    }

    /// Stops the gateway and the broker.
    public func stop() {
        gateway.stop()
        broker.stop()
    }

    /// The end of the broker's log, for failure messages.
    public func recentLog() -> String { broker.recentLog() }
}
