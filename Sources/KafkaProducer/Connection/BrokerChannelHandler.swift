import NIOCore

/// The last handler of a broker connection: hands each response frame and the connection's end to the
/// producer core, on the event loop. It decides nothing.
final class BrokerChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    /// Receives frames and the close, on the channel's event loop.
    struct Callbacks {
        var frame: (ByteBuffer) -> Void
        var closed: (Error?) -> Void
    }

    private let callbacks: Callbacks
    private var failure: Error?

    init(callbacks: Callbacks) {
        self.callbacks = callbacks
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        callbacks.frame(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        failure = error
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        callbacks.closed(failure)
        context.fireChannelInactive()
    }
}
