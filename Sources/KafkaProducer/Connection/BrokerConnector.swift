import NIOCore
import NIOPosix

/// Opens a connection to a broker: the seam between the producer core and the network. The core hands it
/// `initialize`, which adds the core's own handlers (frame decoder, response handler); a connector puts
/// its own in front of them (TLS) and returns the channel once it is ready to carry Kafka requests (SASL,
/// which is Kafka requests itself, runs after it in the connection state machine).
///
/// ``TCPConnector`` is the real one; tests connect the core to in-memory channels (`EmbeddedChannel`) whose
/// peer is a fake cluster, on NIO's `EmbeddedEventLoop` (`ProducerCoreTests`).
protocol BrokerConnector: Sendable {
    /// Connects to `address` on `eventLoop`; `initialize` must run on the channel before it carries bytes.
    func connect(
        to address: BrokerAddress, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel>
}

/// Plain TCP (with `TCP_NODELAY`), with an optional initializer of the application's put first in every
/// pipeline (``KafkaProducer/init(configuration:logger:eventLoopGroup:channelInitializer:onDelivery:)``).
struct TCPConnector: BrokerConnector {
    /// `socket.connection.setup.timeout.ms`.
    var connectTimeout: TimeAmount
    /// Handlers the application adds first (TLS), before the core's.
    var channelInitializer: (@Sendable (any Channel) -> EventLoopFuture<Void>)?

    func connect(
        to address: BrokerAddress, on eventLoop: any EventLoop,
        initialize: @escaping @Sendable (any Channel) -> EventLoopFuture<Void>
    ) -> EventLoopFuture<any Channel> {
        let first = channelInitializer
        return ClientBootstrap(group: eventLoop)
            .connectTimeout(connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                guard let first else { return initialize(channel) }
                return first(channel).flatMap { initialize(channel) }
            }
            .connect(host: address.host, port: address.port)
    }
}
