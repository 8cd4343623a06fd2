import Checkpointing
import KafkaProducer

extension Pipeline {
    /// A batch's outcome from the producer (on its event loop): acknowledged tokens move the ledger.
    func delivered(_ report: DeliveryReport) {
        let now = WallClockTime.now()
        var acknowledged = 0
        var rejected = 0
        var moved = false
        let counts: Bool
        if let error = report.error {
            switch error.code {
            case .recordTooLarge:
                // The broker will never take these records: count them as lost and let the file move on.
                rejected = report.tokens.count
                counts = true
            default:
                // Closing (outcome unknown or never sent): not acknowledged, so the checkpoint stays before
                // them and they are read again at the next start.
                counts = false
            }
        } else {
            counts = true
        }
        if counts {
            shared.withLock { shared in
                var index = 0
                let tokens = report.tokens
                while index < tokens.count {
                    let token = tokens[index]
                    var run = 1
                    while index + run < tokens.count && tokens[index + run] == token { run += 1 }
                    index += run
                    if let segment = shared.tracker.acknowledge(token, count: run), let id = segment.id {
                        if shared.ledger.acknowledge(segment.file, id, at: now).advanced { moved = true }
                    }
                }
                if moved { shared.changed = true }
            }
            acknowledged = report.tokens.count - rejected
        }
        counters.recordsAcknowledged.wrappingIncrement(by: acknowledged, ordering: .relaxed)
        if rejected > 0 {
            counters.recordsRejected.wrappingIncrement(by: rejected, ordering: .relaxed)
            logger.error(
                "records lost: the broker refused them as too large",
                metadata: ["kafka.topic": "\(report.topic)", "kafka.partition": "\(report.partition)", "records": "\(rejected)",
                           "reason": "record_too_large", "error": "\(report.error.map { "\($0)" } ?? "")"])
        }
        if moved { onChange() }
        maybeResume()
    }
}
