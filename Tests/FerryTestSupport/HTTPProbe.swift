import Foundation

/// A minimal HTTP/1.1 client over a blocking loopback socket, for the agent's `/metrics`, `/health` and
/// `/ready`, and the raw connections a flood test opens (not our production code: Python's urllib and
/// prometheus_client check the exposition itself, `scripts/verify/scrape.py`).
public enum HTTPProbe {
    /// A response: status code and body.
    public struct Response: Sendable {
        public var status: Int
        public var body: String
    }

    /// Connects to 127.0.0.1:`port` with a receive/send timeout; -1 on failure.
    public static func connect(port: Int, timeout: Double = 5) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return -1 }
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if connected != 0 {
            close(fd)
            return -1
        }
        return fd
    }

    /// Writes all of `bytes`; false when the peer closed or the timeout passed.
    @discardableResult
    public static func send(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Reads until the peer closes (or the timeout); what arrived.
    public static func readAll(_ fd: Int32, limit: Int = 8 << 20) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while result.count < limit {
            let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count <= 0 { break }
            result += chunk[0..<count]
        }
        return result
    }

    /// `GET path` with `Connection: close`; nil when the connection or the response failed.
    public static func get(port: Int, path: String, timeout: Double = 10) -> Response? {
        let fd = connect(port: port, timeout: timeout)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)) else { return nil }
        let text = String(decoding: readAll(fd), as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 "), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return Response(status: status, body: body)
    }

    /// Polls `path` until `accept` holds for its response, or `timeout`; the last response.
    public static func poll(port: Int, path: String, timeout: Double, until accept: (Response?) -> Bool) -> Response? {
        let deadline = Date().addingTimeInterval(timeout)
        var last = get(port: port, path: path)
        while !accept(last) && Date() < deadline {
            usleep(100_000)
            last = get(port: port, path: path)
        }
        return last
    }
}
