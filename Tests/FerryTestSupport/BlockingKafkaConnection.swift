import Foundation
import KafkaWire
import NIOCore

/// A plain blocking TCP connection that speaks Kafka frames, for wire-level tests that must not depend on
/// the producer: send one request built with KafkaWire, read its response.
public final class BlockingKafkaConnection {
    private let fd: Int32
    private var correlationId: Int32 = 0
    private var pending = ByteBuffer()
    private let frames = KafkaFrameDecoder()

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Subprocess.Failure(description: "socket: \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            close(fd)
            throw Subprocess.Failure(description: "connect to \(port): errno \(errno)")
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `request` in `version` and returns the decoded response.
    public func send<Request: KafkaRequest>(_ request: Request, version: Int16) throws -> Request.Response {
        correlationId += 1
        var buffer = ByteBuffer()
        try KafkaFrame.encodeRequest(request, version: version, correlationId: correlationId, clientId: "ferry-test", into: &buffer)
        try writeAll(buffer)
        let frame = try readFrame()
        let (header, body) = try KafkaFrame.decodeResponse(Request.Response.self, version: version, frame: frame)
        guard header.correlationId == correlationId else {
            throw Subprocess.Failure(description: "correlation id \(header.correlationId), expected \(correlationId)")
        }
        return body
    }

    /// Sends raw bytes.
    public func writeAll(_ buffer: ByteBuffer) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var sent = 0
            while sent < bytes.count {
                let count = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if count < 0 {
                    if errno == EINTR { continue }
                    throw Subprocess.Failure(description: "send: errno \(errno)")
                }
                sent += count
            }
        }
    }

    /// Reads one response frame body.
    public func readFrame() throws -> ByteBuffer {
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            if let frame = try frames.decodeFrame(from: &pending) { return frame }
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw Subprocess.Failure(description: "connection closed or timed out (errno \(errno))") }
            pending.writeBytes(chunk[0..<count])
        }
    }
}
