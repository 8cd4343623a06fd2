import KafkaWire
import NIOConcurrencyHelpers
import NIOCore

/// One connection of a fake broker: hands each request frame to the shared cluster state and performs
/// what it decides (answer, close, answer late). Requests of one connection are handled one at a time,
/// in order, as a Kafka broker does: while an answer is delayed, the next requests wait behind it.
final class FakeBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let node: Int32
    private let state: NIOLockedValueBox<FakeClusterState>
    /// Frames received and not handled yet (behind a delayed answer).
    private var queue: [ByteBuffer] = []
    private var waiting = false
    private var closed = false

    /// Mutates answers when the cluster is hostile.
    private let fuzzer: FakeResponseFuzzer?

    init(node: Int32, state: NIOLockedValueBox<FakeClusterState>) {
        self.node = node
        self.state = state
        fuzzer = state.withLockedValue { $0.options.responseFuzzer }
    }

    /// Writes an answer (or what the fuzzer makes of it).
    private func write(_ response: ByteBuffer, context: ChannelHandlerContext) {
        guard let fuzzer else {
            context.writeAndFlush(wrapOutboundOut(response), promise: nil)
            return
        }
        for frame in fuzzer.frames(for: response) {
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.append(unwrapInboundIn(data))
        drain(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        queue = []
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Resets by the client are part of the tests; a frame the broker cannot split is the client's fault.
        if !closed, error is KafkaWireError {
            let node = self.node
            state.withLockedValue { $0.violations.append("node \(node): connection error: \(error)") }
        }
        closed = true
        context.close(promise: nil)
    }

    /// Handles queued frames until one must wait (a delayed answer) or the connection closes.
    private func drain(context: ChannelHandlerContext) {
        while !waiting, !closed, !queue.isEmpty {
            let frame = queue.removeFirst()
            let node = self.node
            let decision = state.withLockedValue { state in
                let decision = state.handle(frame: frame, node: node)
                // Long hostile runs: keep the first violations, count the rest.
                if state.violations.count > 1000 {
                    state.droppedViolations += state.violations.count - 1000
                    state.violations.removeLast(state.violations.count - 1000)
                }
                return decision
            }
            switch decision {
            case .close, .answer(_, after: .closeInsteadOfAnswering):
                closed = true
                context.close(promise: nil)
            case .answer(let response, after: .nothing):
                if let response { write(response, context: context) }
            case .answer(let response, after: .delay(let milliseconds)):
                waiting = true
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                context.eventLoop.scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                    let (handler, context) = bound.value
                    handler.waiting = false
                    guard !handler.closed else { return }
                    if let response { handler.write(response, context: context) }
                    handler.drain(context: context)
                }
            }
        }
    }
}

/// Splits a broker connection's inbound bytes into request frames (size prefix removed).
struct FakeRequestFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    let frames = KafkaFrameDecoder()

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let frame = try frames.decodeFrame(from: &buffer) else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(frame))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // A request cut by the client's disconnect is dropped, as a broker drops it.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.clear()
        return .needMoreData
    }
}
