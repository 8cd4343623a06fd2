import KafkaWire
import Testing

@testable import KafkaProducer

/// The producer-id decisions alone: which connection carries InitProducerId, the fallback from an epoch
/// bump to a fresh id on brokers without InitProducerId v3, what an answer means, how often a refusal is
/// logged. (Through the core: `ProducerCoreTests`.)
@Suite("Producer id planner")
struct ProducerIdPlannerTests {
    typealias Candidate = ProducerIdPlanner.Candidate
    let current = ProducerIdentity(producerId: 4000, epoch: 7)

    @Test("a fresh id is asked on the first ready connection that has InitProducerId, with -1/-1")
    func fresh() {
        let planner = ProducerIdPlanner()
        let candidates = [
            Candidate(isReady: false, initProducerIdVersion: 4), Candidate(isReady: true, initProducerIdVersion: nil),
            Candidate(isReady: true, initProducerIdVersion: 2), Candidate(isReady: true, initProducerIdVersion: 4),
        ]
        #expect(planner.request(bumping: nil, candidates: candidates) == .send(index: 2, version: 2, producerId: -1, epoch: -1))
    }

    @Test("an epoch bump names the current id and epoch on InitProducerId v3 and later")
    func bump() {
        let planner = ProducerIdPlanner()
        for version: Int16 in [3, 4, 5] {
            #expect(
                planner.request(bumping: current, candidates: [Candidate(isReady: true, initProducerIdVersion: version)])
                    == .send(index: 0, version: version, producerId: 4000, epoch: 7))
        }
    }

    @Test("an epoch bump on InitProducerId v0-v2 falls back to a fresh id (cannotBump)")
    func cannotBump() {
        let planner = ProducerIdPlanner()
        for version: Int16 in [0, 1, 2] {
            #expect(planner.request(bumping: current, candidates: [Candidate(isReady: true, initProducerIdVersion: version)]) == .cannotBump)
        }
    }

    @Test("without a usable connection: wait; metadata is wanted only when no connection is ready at all")
    func noConnection() {
        let planner = ProducerIdPlanner()
        #expect(planner.request(bumping: nil, candidates: []) == .noConnection(wantMetadata: true))
        #expect(planner.request(bumping: nil, candidates: [Candidate(isReady: false, initProducerIdVersion: 4)]) == .noConnection(wantMetadata: true))
        #expect(planner.request(bumping: current, candidates: [Candidate(isReady: true, initProducerIdVersion: nil)]) == .noConnection(wantMetadata: false))
    }

    /// Runs one mutating step of the planner and returns its result (`#expect` cannot call mutating methods).
    func step<T>(_ planner: inout ProducerIdPlanner, _ body: (inout ProducerIdPlanner) -> T) -> T { body(&planner) }

    @Test("answers: an id, an unusable id (below 0) asked again, a refusal logged at most every 10 s when it repeats")
    func answers() {
        var planner = ProducerIdPlanner()
        #expect(step(&planner) { $0.answer(error: .none, producerId: 12, epoch: 0, now: 1) } == .granted(ProducerIdentity(producerId: 12, epoch: 0)))
        #expect(step(&planner) { $0.answer(error: .none, producerId: -1, epoch: 0, now: 1) } == .invalid(producerId: -1, epoch: 0))
        #expect(step(&planner) { $0.answer(error: .none, producerId: 12, epoch: -1, now: 1) } == .invalid(producerId: 12, epoch: -1))
        let second: UInt64 = 1_000_000_000
        #expect(step(&planner) { $0.answer(error: .coordinatorLoadInProgress, producerId: -1, epoch: -1, now: 5 * second) } == .refused(.coordinatorLoadInProgress, warn: true))
        #expect(step(&planner) { $0.answer(error: .coordinatorLoadInProgress, producerId: -1, epoch: -1, now: 14 * second) } == .refused(.coordinatorLoadInProgress, warn: false))
        #expect(step(&planner) { $0.answer(error: .coordinatorLoadInProgress, producerId: -1, epoch: -1, now: 15 * second) } == .refused(.coordinatorLoadInProgress, warn: true))
        // A code Kafka does not define repeats too; a non-retriable one is the sender's to report.
        #expect(step(&planner) { $0.answer(error: KafkaErrorCode(rawValue: 9999), producerId: -1, epoch: -1, now: 30 * second) } == .refused(KafkaErrorCode(rawValue: 9999), warn: true))
        #expect(step(&planner) { $0.answer(error: .clusterAuthorizationFailed, producerId: -1, epoch: -1, now: 60 * second) } == .refused(.clusterAuthorizationFailed, warn: false))
        // A clock that went back does not trap; it counts as due.
        #expect(step(&planner) { $0.warningDue(now: 1) })
    }
}
