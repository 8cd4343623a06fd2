import FerryTestSupport
import KafkaProducer
import KafkaWire
import Testing

/// The parent of every fault-injection suite: serialized, so that on a 2-core machine one producer at a
/// time fights its faults (timeouts stay meaningful).
@Suite("Producer under faults", .serialized)
struct ProducerFaults {}

extension FaultWorkload {
    /// Finishes the run and checks it against `log`: everything reported in time, nothing failed unless
    /// `allowFailures`, and ``DeliveryCheck`` clean. Every failure message carries the seed.
    @discardableResult
    func expectDeliveredOnceInOrder(
        log: () -> [LoggedRecord], allowFailures: Bool = false, timeout: Duration = .seconds(20), note: String = "",
        cluster: FakeKafkaCluster? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> DeliveryCheck.Outcome {
        var summary: String { note.isEmpty ? self.summary : "\(self.summary)\n\(note)" }
        let finished = await finish(timeout: timeout)
        #expect(finished, "not every record got an outcome in time (\(reportedCount) of \(sentCount)); \(summary)", sourceLocation: sourceLocation)
        let outcome = check(log: log())
        #expect(
            outcome.problems.isEmpty,
            "\(outcome.problems.joined(separator: "\n"))\n\(summary)\(traceWindow(cluster, outcome))",
            sourceLocation: sourceLocation)
        if !allowFailures {
            #expect(
                outcome.failed.isEmpty,
                "\(outcome.failed.count) records failed, e.g. \(outcome.failed.values.first.map { "\($0)" } ?? ""); \(summary)",
                sourceLocation: sourceLocation)
        }
        return outcome
    }

    /// ``expectDeliveredOnceInOrder(log:allowFailures:timeout:note:cluster:sourceLocation:)`` against the
    /// fake cluster's log, with its trace in the failure message.
    @discardableResult
    func expectDeliveredOnceInOrder(
        in cluster: FakeKafkaCluster, allowFailures: Bool = false, timeout: Duration = .seconds(20), note: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> DeliveryCheck.Outcome {
        let topic = self.topic
        return await expectDeliveredOnceInOrder(
            log: { cluster.loggedRecords(topic: topic) }, allowFailures: allowFailures, timeout: timeout, note: note,
            cluster: cluster, sourceLocation: sourceLocation)
    }

    /// The fake cluster's trace of the partition where the run first went wrong: from the first write of
    /// the first duplicated record (or 60 lines before the first reordered one), how it got there.
    private func traceWindow(_ cluster: FakeKafkaCluster?, _ outcome: DeliveryCheck.Outcome) -> String {
        guard let cluster, let partition = outcome.firstDuplicate?.partition ?? outcome.firstSuspect?.partition else { return "" }
        let marker = "produce \(topic)-\(partition) "
        let lines = cluster.trace(matching: marker)
        var start = max(0, lines.count - 60)
        if let origin = outcome.firstDuplicate?.origin, let fields = Self.producerFields(origin) {
            // The line of the batch holding the record's first copy: same producer id and epoch, sequence in range.
            if let index = lines.firstIndex(where: { line in
                guard let range = line.range(of: marker), let batch = Self.batchFields(String(line[range.upperBound...])) else { return false }
                return batch.id == fields.id && batch.epoch == fields.epoch && batch.sequence <= fields.sequence
                    && fields.sequence < batch.sequence + batch.count
            }) {
                start = max(0, index - 5)
            }
        } else if let offset = outcome.firstSuspect?.offset, let index = lines.firstIndex(where: { $0.hasSuffix(" at \(offset)") }) {
            start = max(0, index - 60)
        }
        let window = lines[start..<min(lines.count, start + 80)]
        return "\ntrace of \(topic)-\(partition) (fake cluster):\n" + window.joined(separator: "\n")
    }

    /// `id/epoch/sequence` at the start of `text`.
    static func producerFields(_ text: String) -> (id: Int64, epoch: Int16, sequence: Int32)? {
        let parts = text.split(separator: " ").first?.split(separator: "/") ?? []
        guard parts.count == 3, let id = Int64(parts[0]), let epoch = Int16(parts[1]), let sequence = Int32(parts[2]) else { return nil }
        return (id, epoch, sequence)
    }

    /// `id/epoch/sequence+count` at the start of `text` (a trace line's batch).
    static func batchFields(_ text: String) -> (id: Int64, epoch: Int16, sequence: Int32, count: Int32)? {
        let head = text.split(separator: " ").first ?? ""
        let halves = head.split(separator: "+")
        guard halves.count == 2, let count = Int32(halves[1]), let fields = producerFields(String(halves[0])) else { return nil }
        return (fields.id, fields.epoch, fields.sequence, count)
    }
}

extension FakeKafkaCluster {
    /// Checks that the producer broke no protocol rule and that every armed fault fired.
    func expectCleanAndFired(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(violations.isEmpty, "seed 0x\(String(seed, radix: 16)): \(violations.prefix(10))", sourceLocation: sourceLocation)
        #expect(armedFaults == 0, "seed 0x\(String(seed, radix: 16)): \(armedFaults) faults never fired", sourceLocation: sourceLocation)
    }
}
