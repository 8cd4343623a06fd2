import Logging
import NIOConcurrencyHelpers
import NIOEmbedded
import Testing

@testable import KafkaProducer

/// A batch the compression threads could not seal: its records are reported with their own code
/// (`compression_failed`, not a broker error), logged, and their part of `buffer.memory` given back.
@Suite("Producer: compression failure")
struct CompressionFailureTests {
    struct Unsealable: Error {}

    @Test("a batch that cannot be compressed fails compression_failed, with a log line, and frees its buffer")
    func compressionFailed() throws {
        let loop = EmbeddedEventLoop()
        let logs = LogCapture()
        let logger = Logger(label: "test.compression") { _ in logs }
        let configuration = try ProducerConfiguration(properties: ["bootstrap.servers": "127.0.0.1:1"])
        let accumulator = RecordAccumulator(configuration: configuration) { _ in }
        let reports = NIOLockedValueBox<[DeliveryReport]>([])
        let core = ProducerCore(
            configuration: configuration, eventLoop: loop, logger: logger, accumulator: accumulator,
            compression: try CompressionService.inline(compression: .none, level: nil), counters: ProducerCounters(),
            connector: TCPConnector(connectTimeout: .seconds(1), channelInitializer: nil), onDelivery: { report in reports.withLockedValue { $0.append(report) } })
        accumulator.updateTopic("t", partitionCount: 1, available: [0], error: nil)
        // Two records in one open batch, then the batch back from compression as a failure.
        for token in UInt64(1)...2 {
            _ = try Array("value".utf8).withUnsafeBytes { value in
                try accumulator.append(
                    topic: "t", partition: 0, timestamp: 1, key: nil, value: value, headerCount: 0, headersSize: 0,
                    writeHeaders: { _ in }, token: token, maxBlockNs: 0)
            }
        }
        #expect(accumulator.buffered > 0)
        let closed = accumulator.closeAll()
        let info = try #require(closed.first?.info)
        core.compressing = 1
        core.batchSealed(info, sealed: .failure(Unsealable()))
        let report = try #require(reports.withLockedValue { $0.first })
        #expect(report.error?.code == .compressionFailed, "\(String(describing: report.error))")
        #expect(report.tokens == [1, 2])
        #expect(logs.recent.contains("compressing a batch failed"), "\(logs.recent)")
        #expect(accumulator.buffered == 0)
        #expect(accumulator.buffered(topic: "t") == 0)
    }
}
