import KafkaProducer
import KafkaWire

/// One record as a log holds it (the fake cluster's, or what librdkafka consumed from tansu).
struct LoggedRecord: Sendable {
    var partition: Int32
    var offset: Int64
    var key: [UInt8]?
    var value: [UInt8]?
    /// Where it came from, when the log knows: `producer id/epoch/sequence by node` (for failure messages).
    var origin: String = ""
}

/// The end-of-run checks of a fault test: every record sent was reported exactly once, is in the log
/// exactly once (unless it was reported failed, and then it is absent), in send order per key, and every
/// acknowledged offset holds the record it was acknowledged for.
///
/// Records are recognised by their value, `"<key>:<sequence>:<padding>"` (``FaultWorkload``), so a log
/// record that no send produced is reported too.
struct DeliveryCheck {
    /// What the run sent: per token (its index), the key, the per-key sequence, the partition and the value.
    var sent: [FaultWorkload.Sent]
    /// Every delivery report received.
    var reports: [DeliveryReport]
    /// Every record of the topic, any order.
    var log: [LoggedRecord]

    /// What the check found.
    struct Outcome {
        /// Everything wrong, one line each (empty when the run was correct).
        var problems: [String] = []
        /// Tokens reported delivered.
        var delivered: Set<UInt64> = []
        /// Failed tokens with their error.
        var failed: [UInt64: ProducerError] = [:]
        /// The first log position where something is wrong (duplicated or reordered record), for traces.
        var firstSuspect: (partition: Int32, offset: Int64)?
        /// For the first duplicated record: its partition and the origin (`producer id/epoch/sequence ...`)
        /// of its first copy, for traces.
        var firstDuplicate: (partition: Int32, origin: String)?
    }

    /// Runs every check.
    func run() -> Outcome {
        var outcome = Outcome()
        var problems: [String] = []
        func problem(_ text: String) { if problems.count < 40 { problems.append(text) } }

        // 1. Reports: each token exactly once, on the partition it was sent to.
        var reportedOffset: [UInt64: Int64] = [:]
        var reportCount = [Int](repeating: 0, count: sent.count)
        for report in reports {
            for (index, token) in report.tokens.enumerated() {
                guard token < UInt64(sent.count) else {
                    problem("report of unknown token \(token)")
                    continue
                }
                reportCount[Int(token)] += 1
                if report.partition != sent[Int(token)].partition {
                    problem("token \(token) reported on partition \(report.partition), sent to \(sent[Int(token)].partition)")
                }
                if let error = report.error {
                    outcome.failed[token] = error
                } else {
                    outcome.delivered.insert(token)
                    if report.baseOffset >= 0 { reportedOffset[token] = report.baseOffset + Int64(index) }
                }
            }
        }
        let unreported = reportCount.indices.filter { reportCount[$0] == 0 }
        let twice = reportCount.indices.filter { reportCount[$0] > 1 }
        if !unreported.isEmpty { problem("\(unreported.count) records never reported, first tokens \(unreported.prefix(8))") }
        if !twice.isEmpty { problem("\(twice.count) records reported more than once, first tokens \(twice.prefix(8))") }

        // 2. The log: every record known, none twice, per key in increasing sequence.
        var tokenByValue: [[UInt8]: UInt64] = [:]
        for item in sent { tokenByValue[item.value] = item.token }
        var seen: [UInt64: Int] = [:]
        var lastSequence: [Int: Int] = [:]
        var byPosition: [String: UInt64] = [:]
        var positions: [UInt64: [String]] = [:]
        var firstOrigin: [UInt64: String] = [:]
        for record in log.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            guard let value = record.value, let token = tokenByValue[value] else {
                problem("log \(record.partition)/\(record.offset): a record no send produced")
                continue
            }
            let item = sent[Int(token)]
            seen[token, default: 0] += 1
            if firstOrigin[token] == nil { firstOrigin[token] = record.origin }
            positions[token, default: []].append("\(record.partition)/\(record.offset)\(record.origin.isEmpty ? "" : " (\(record.origin))")")
            byPosition["\(record.partition)/\(record.offset)"] = token
            if record.partition != item.partition {
                problem("token \(token) in partition \(record.partition), sent to \(item.partition)")
            }
            if record.key != item.keyBytes { problem("token \(token) at \(record.partition)/\(record.offset) has another key") }
            if let last = lastSequence[item.key], item.sequence <= last {
                if outcome.firstSuspect == nil { outcome.firstSuspect = (record.partition, record.offset) }
                problem("key \(item.key): sequence \(item.sequence) after \(last) at \(record.partition)/\(record.offset) (reordered or duplicated)")
            }
            lastSequence[item.key] = max(lastSequence[item.key] ?? -1, item.sequence)
        }
        let duplicated = seen.filter { $0.value > 1 }.keys.sorted()
        if !duplicated.isEmpty {
            problem("\(duplicated.count) records in the log more than once, first tokens \(duplicated.prefix(8))")
            for token in duplicated.prefix(3) { problem("token \(token) is at \(positions[token] ?? [])") }
            if let token = duplicated.first, let origin = firstOrigin[token] {
                outcome.firstDuplicate = (sent[Int(token)].partition, origin)
            }
        }
        let lost = outcome.delivered.filter { seen[$0] == nil }.sorted()
        if !lost.isEmpty { problem("\(lost.count) records reported delivered but not in the log, first tokens \(lost.prefix(8))") }
        // A record reported failed must not be in the log, unless the report says its outcome is unknown.
        let failedButWritten = outcome.failed.filter { seen[$0.key] != nil && $0.value.code != .outcomeUnknown }.keys.sorted()
        if !failedButWritten.isEmpty {
            problem("\(failedButWritten.count) records reported failed but in the log, first tokens \(failedButWritten.prefix(8))")
        }

        // 3. Acknowledged offsets hold the record acknowledged there.
        var wrongOffsets = 0
        for (token, offset) in reportedOffset.sorted(by: { $0.key < $1.key }) {
            let position = "\(sent[Int(token)].partition)/\(offset)"
            if byPosition[position] != token {
                wrongOffsets += 1
                if wrongOffsets <= 5 { problem("token \(token) acknowledged at \(position), which holds \(byPosition[position].map { "token \($0)" } ?? "nothing")") }
            }
        }
        if wrongOffsets > 5 { problem("\(wrongOffsets) acknowledged offsets in all hold another record") }
        outcome.problems = problems
        return outcome
    }
}
