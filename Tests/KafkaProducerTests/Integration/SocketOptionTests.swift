import FerryTestSupport
import Foundation
import KafkaProducer
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The options of the producer's own sockets, read back from the kernel with `getsockopt` (not asked of
/// NIO): TCP_NODELAY on, SO_DEBUG off. SO_DEBUG needs CAP_NET_ADMIN: a producer that set it (as
/// `socketOption(.tcp_nodelay)` did, which is `SOL_SOCKET`/1) could not connect as any other user.
@Suite("Producer sockets")
struct SocketOptionTests {
    /// The descriptors of this process's TCP sockets connected to `port` on loopback.
    static func socketsConnected(toPort port: Int) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
        var found: [Int32] = []
        for entry in entries {
            guard let fd = Int32(entry) else { continue }
            var address = sockaddr_in()
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let status = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getpeername(fd, $0, &length) }
            }
            guard status == 0, address.sin_family == sa_family_t(AF_INET), Int(UInt16(bigEndian: address.sin_port)) == port else {
                continue
            }
            found.append(fd)
        }
        return found
    }

    static func option(_ fd: Int32, level: Int32, name: Int32) -> Int32? {
        var value: Int32 = -1
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, level, name, &value, &length) == 0 else { return nil }
        return value
    }

    @Test("the producer's broker connections have TCP_NODELAY on and SO_DEBUG off (getsockopt)")
    func nodelayWithoutDebug() async throws {
        let cluster = try FakeKafkaCluster(brokers: 1)
        defer { cluster.stop() }
        try cluster.createTopic("sockets", partitions: 1)
        var logger = Logger(label: "test.sockets")
        logger.logLevel = .error
        let producer = try KafkaProducer(
            configuration: try ProducerConfiguration(properties: ["bootstrap.servers": cluster.bootstrap]), logger: logger)
        _ = try await producer.send(ProducerRecord(topic: "sockets", value: Array("hello".utf8)))
        let port = try #require(cluster.port(of: 1))
        let sockets = Self.socketsConnected(toPort: port)
        // The producer's own end; the fake broker's accepted ends have the producer's port as peer.
        #expect(!sockets.isEmpty, "no socket of this process is connected to the broker's port \(port)")
        for fd in sockets {
            #expect(Self.option(fd, level: Int32(IPPROTO_TCP), name: TCP_NODELAY) == 1, "fd \(fd): TCP_NODELAY")
            #expect(Self.option(fd, level: SOL_SOCKET, name: SO_DEBUG) == 0, "fd \(fd): SO_DEBUG")
        }
        await producer.close(timeout: .seconds(5))
    }
}
