import Foundation

/// tansu behind our ``TCPProxy``: the broker advertises the proxy's port, so clients reach it only through
/// the proxy (resets, stalls, refusals apply to every connection, including those after metadata).
public final class ProxiedTansu: @unchecked Sendable {
    /// The proxy in front of the broker.
    public let proxy: TCPProxy
    /// The broker (its own port serves the topic tool, which must not go through faults).
    public let broker: TansuBroker
    /// `127.0.0.1:<proxy port>`, for clients.
    public var bootstrap: String { "127.0.0.1:\(proxy.port)" }
    /// The broker's own port.
    public var brokerPort: Int { broker.port }

    /// Starts the proxy, then tansu advertising it.
    public init() throws {
        let port = try FreePort.find()
        proxy = try TCPProxy(targetPort: port)
        do {
            broker = try TansuBroker(port: port, advertisedPort: proxy.port)
        } catch {
            proxy.stop()
            throw error
        }
    }

    deinit { stop() }

    /// Creates a topic straight at the broker.
    public func createTopic(_ name: String, partitions: Int) throws {
        try broker.createTopic(name, partitions: partitions)
    }

    /// Stops the proxy and the broker.
    public func stop() {
        proxy.stop()
        broker.stop()
    }

    /// The end of the broker's log, for failure messages.
    public func recentLog() -> String { broker.recentLog() }
}
