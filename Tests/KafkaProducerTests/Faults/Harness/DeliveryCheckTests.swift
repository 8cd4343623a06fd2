import KafkaProducer
import Testing

/// The end-of-run check itself, on made-up runs: each kind of wrong log or report must be caught.
@Suite("Fault harness: delivery check")
struct DeliveryCheckTests {
    /// Four records: key 0 sequences 0, 1 and key 1 sequence 0, 1; keys 0 on partition 0, 1 on partition 1.
    static let sent: [FaultWorkload.Sent] = [(0, 0), (1, 0), (0, 1), (1, 1)].enumerated().map { token, item in
        FaultWorkload.Sent(
            token: UInt64(token), key: item.0, sequence: item.1, partition: Int32(item.0),
            value: Array("\(item.0):\(item.1):x".utf8))
    }

    static func logged(_ token: Int, offset: Int64) -> LoggedRecord {
        LoggedRecord(partition: sent[token].partition, offset: offset, key: sent[token].keyBytes, value: sent[token].value)
    }

    static func report(_ partition: Int32, _ tokens: [UInt64], base: Int64, error: ProducerError? = nil) -> DeliveryReport {
        DeliveryReport(topic: "t", partition: partition, baseOffset: base, tokens: tokens, logAppendTime: -1, error: error)
    }

    static let goodReports = [report(0, [0, 2], base: 0), report(1, [1], base: 0), report(1, [3], base: -1)]
    static let goodLog = [logged(0, offset: 0), logged(2, offset: 1), logged(1, offset: 0), logged(3, offset: 1)]

    static func problems(reports: [DeliveryReport] = goodReports, log: [LoggedRecord] = goodLog) -> [String] {
        DeliveryCheck(sent: sent, reports: reports, log: log).run().problems
    }

    @Test("a correct run has no problem")
    func correct() {
        #expect(Self.problems().isEmpty)
    }

    @Test("each kind of fault is reported")
    func faults() {
        // Lost: reported delivered, not in the log.
        #expect(Self.problems(log: Array(Self.goodLog.dropLast())).contains { $0.contains("not in the log") })
        // Duplicated in the log.
        #expect(Self.problems(log: Self.goodLog + [Self.logged(3, offset: 2)]).contains { $0.contains("more than once") })
        // Reordered: key 0 sequence 1 before sequence 0.
        let reordered = [Self.logged(2, offset: 0), Self.logged(0, offset: 1), Self.logged(1, offset: 0), Self.logged(3, offset: 1)]
        #expect(Self.problems(
            reports: [Self.report(0, [2], base: 0), Self.report(0, [0], base: 1), Self.report(1, [1], base: 0), Self.report(1, [3], base: 1)],
            log: reordered).contains { $0.contains("reordered") })
        // Never reported, and reported twice.
        #expect(Self.problems(reports: Array(Self.goodReports.dropLast())).contains { $0.contains("never reported") })
        #expect(Self.problems(reports: Self.goodReports + [Self.report(1, [3], base: -1)]).contains { $0.contains("more than once") })
        // An acknowledged offset holding another record.
        #expect(Self.problems(reports: [Self.report(0, [0, 2], base: 5), Self.report(1, [1], base: 0), Self.report(1, [3], base: 1)])
            .contains { $0.contains("acknowledged at") })
        // Failed but written, and a record nobody sent.
        let failed = ProducerError(.brokerError, topic: "t", partition: 1, "no")
        #expect(Self.problems(reports: [Self.report(0, [0, 2], base: 0), Self.report(1, [1], base: 0), Self.report(1, [3], base: -1, error: failed)])
            .contains { $0.contains("reported failed but in the log") })
        let stranger = LoggedRecord(partition: 0, offset: 9, key: nil, value: Array("9:9:x".utf8))
        #expect(Self.problems(log: Self.goodLog + [stranger]).contains { $0.contains("no send produced") })
    }
}
