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
        sourceLocation: SourceLocation = #_sourceLocation
    ) async -> DeliveryCheck.Outcome {
        var summary: String { note.isEmpty ? self.summary : "\(self.summary)\n\(note)" }
        let finished = await finish(timeout: timeout)
        #expect(finished, "not every record got an outcome in time (\(reportedCount) of \(sentCount)); \(summary)", sourceLocation: sourceLocation)
        let outcome = check(log: log())
        #expect(
            outcome.problems.isEmpty, "\(outcome.problems.joined(separator: "\n"))\n\(summary)", sourceLocation: sourceLocation)
        if !allowFailures {
            #expect(
                outcome.failed.isEmpty,
                "\(outcome.failed.count) records failed, e.g. \(outcome.failed.values.first.map { "\($0)" } ?? ""); \(summary)",
                sourceLocation: sourceLocation)
        }
        return outcome
    }
}

extension FakeKafkaCluster {
    /// Checks that the producer broke no protocol rule and that every armed fault fired.
    func expectCleanAndFired(seed: UInt64, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(violations.isEmpty, "seed 0x\(String(seed, radix: 16)): \(violations.prefix(10))", sourceLocation: sourceLocation)
        #expect(armedFaults == 0, "seed 0x\(String(seed, radix: 16)): \(armedFaults) faults never fired", sourceLocation: sourceLocation)
    }
}
