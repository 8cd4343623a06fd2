import FerryTestSupport
import Foundation
import KafkaWire
import NIOCore

/// A blocking loopback socket that speaks Kafka frames with timeouts, and tells a reset (RST) from an
/// orderly close (FIN): what the proxy and fake-cluster self-tests need to observe.
final class RawKafkaSocket {
    /// How a read ended, when it did not return a frame.
    enum ReadEnd: Equatable {
        /// Nothing arrived in time.
        case timedOut
        /// The peer closed (FIN).
        case closed
        /// The peer reset the connection (RST: ECONNRESET).
        case reset
        /// Another errno.
        case failed(Int32)
    }

    /// A failure to connect or write.
    struct Failure: Error, CustomStringConvertible {
        var code: String
        var message: String
        var description: String { "RawKafkaSocket [\(code)]: \(message)" }
    }

    private let fd: Int32
    private var pending = ByteBuffer()
    private let frames = KafkaFrameDecoder()
    private var correlationId: Int32 = 0

    /// Connects to 127.0.0.1:`port`.
    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(code: "socket", message: "errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let error = errno
            close(fd)
            throw Failure(code: "connect", message: "port \(port): errno \(error)")
        }
    }

    deinit { close(fd) }

    /// Encodes `request` in `version` and writes it; returns its correlation id.
    @discardableResult
    func send<Request: KafkaRequest>(_ request: Request, version: Int16) throws -> Int32 {
        correlationId += 1
        var buffer = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationId: correlationId, clientId: "fault-test", into: &buffer)
        try write(buffer)
        return correlationId
    }

    /// Writes raw bytes.
    func write(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Failure(code: "send", message: "errno \(errno)")
                }
                sent += count
            }
        }
    }

    /// The next response frame, or how the read ended, waiting at most `timeoutMs`.
    func readFrame(timeoutMs: Int32) -> Result<ByteBuffer, ReadEndError> {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeoutMs))
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            if let frame = try? frames.decodeFrame(from: &pending) { return .success(frame) }
            let left = deadline - ContinuousClock.now
            let leftMs = Int32(max(0, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000))
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, leftMs)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return .failure(ReadEndError(end: .timedOut)) }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                pending.writeBytes(chunk[0..<count])
                continue
            }
            if count == 0 { return .failure(ReadEndError(end: .closed)) }
            if errno == EINTR { continue }
            return .failure(ReadEndError(end: errno == ECONNRESET ? .reset : .failed(errno)))
        }
    }

    /// A read that ended without a frame, as an error value.
    struct ReadEndError: Error, Equatable {
        var end: ReadEnd
    }

    /// Reads and decodes the response to a request of type `Request` sent in `version`.
    func response<Request: KafkaRequest>(to: Request.Type, version: Int16, timeoutMs: Int32 = 5000) throws -> Request.Response {
        let frame = try readFrame(timeoutMs: timeoutMs).get()
        return try KafkaFrame.decodeResponse(Request.Response.self, version: version, frame: frame).body
    }
}
