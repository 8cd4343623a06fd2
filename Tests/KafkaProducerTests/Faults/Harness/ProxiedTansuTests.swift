import FerryTestSupport
import KafkaWire
import Testing
import FerryTestTags

/// tansu behind the proxy: clients that follow the broker's Metadata must stay on the proxy.
@Suite("Fault harness: tansu behind the proxy", .tags(.broker, .childProcess), .needsBroker)
struct ProxiedTansuTests {
    @Test("Metadata through the proxy names the proxy's port; a topic made by the tool is seen; stop ends the broker")
    func advertisesTheProxy() throws {
        let broker = try ProxiedTansu()
        defer { broker.stop() }
        try broker.createTopic("seen", partitions: 2)
        let socket = try RawKafkaSocket(port: broker.proxy.port)
        try socket.send(ApiVersionsRequest(clientSoftwareName: "t", clientSoftwareVersion: "1"), version: 3)
        let versions = try socket.response(to: ApiVersionsRequest.self, version: 3)
        let metadataVersion = min(versions.versions(of: .metadata)?.upperBound ?? 1, 12)
        try socket.send(MetadataRequest(topicNames: ["seen"]), version: metadataVersion)
        let metadata = try socket.response(to: MetadataRequest.self, version: metadataVersion)
        #expect(metadata.brokers.map { Int($0.port) } == [broker.proxy.port])
        #expect(metadata.topics.first?.partitions.count == 2)
        #expect(broker.proxy.counters.accepted == 1 && broker.proxy.counters.bytesFromTarget > 0)
        broker.stop()
        #expect(!FreePort.accepts(port: broker.brokerPort))
    }
}
