import Checkpointing
import KafkaProducer

extension Pipeline {
    /// A batch's outcome from the producer (on its event loop): acknowledged tokens move the ledger.
    ///
    /// Every outcome is accounted for. Acknowledged records count towards their segments. A failure while
    /// running is final (the agent's producer retries everything that can succeed: it never times out,
    /// never runs out of retries, and asks again for a refused producer id): the records are counted as lost
    /// with their reason, logged, and their segments settle so that the file's checkpoint moves on. Only
    /// when the agent stops are records the producer could not finish (`closed`, `outcome_unknown`) left
    /// unacknowledged: the checkpoint stays before them and they are read again at the next start.
    func delivered(_ report: DeliveryReport) {
        let now = WallClockTime.now()
        var lost: DeliveryLoss? = nil
        if let error = report.error {
            if stopping.load(ordering: .relaxed) && (error.code == .closed || error.code == .outcomeUnknown) {
                counters.recordsUnfinished.wrappingIncrement(by: report.tokens.count, ordering: .relaxed)
                maybeResume()
                return
            }
            switch error.code {
            case .recordTooLarge: lost = .recordTooLarge
            case .brokerError: lost = .refusedByBroker
            case .compressionFailed: lost = .compressionFailed
            case .outcomeUnknown: lost = .outcomeUnknown
            default: lost = .notDelivered
            }
        }
        var moved = false
        var files: [String] = []
        shared.withLock { shared in
            var index = 0
            let tokens = report.tokens
            while index < tokens.count {
                let token = tokens[index]
                var run = 1
                while index + run < tokens.count && tokens[index + run] == token { run += 1 }
                index += run
                if lost != nil, files.count < 5, let file = shared.tracker.file(of: token), let path = shared.files[file]?.path,
                    !files.contains(path)
                {
                    files.append(path)
                }
                if let segment = shared.tracker.acknowledge(token, count: run), let id = segment.id {
                    if shared.ledger.acknowledge(segment.file, id, at: now).advanced { moved = true }
                }
            }
            if moved { shared.changed = true }
        }
        if let lost, let error = report.error {
            counters.lost(reason: lost, records: report.tokens.count, bytes: 0)
            logger.error(
                "records lost: the producer gave them up",
                metadata: ["kafka.topic": "\(report.topic)", "kafka.partition": "\(report.partition)",
                           "kafka.error_code": "\(error.kafkaError.map { "\($0.rawValue)" } ?? "none")",
                           "records": "\(report.tokens.count)", "reason": "\(lost.rawValue)",
                           "file.path": "\(files.joined(separator: ","))", "error": "\(error)"])
        } else {
            counters.recordsAcknowledged.wrappingIncrement(by: report.tokens.count, ordering: .relaxed)
        }
        if moved { onChange() }
        maybeResume()
    }
}
