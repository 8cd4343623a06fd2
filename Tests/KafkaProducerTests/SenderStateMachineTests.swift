import KafkaWire
import NIOCore
import Testing

@testable import KafkaProducer

/// Scripts of "event -> expected actions" for the sender state machine: no sockets, no clocks.
@Suite("Sender state machine")
struct SenderStateMachineTests {
    static let tp = TopicPartition(topic: "logs", partition: 0)
    static let tp1 = TopicPartition(topic: "logs", partition: 1)
    static let ms: UInt64 = 1_000_000

    static func settings(acks: Int16 = -1, idempotent: Bool = true, maxInFlight: Int = 5, retries: Int = Int(Int32.max), deliveryTimeoutMs: UInt64 = 120_000) -> SenderStateMachine.Settings {
        .init(
            acks: acks, idempotent: idempotent, maxInFlightPerConnection: maxInFlight, maxRequestSize: 1 << 20,
            retries: retries, requestTimeoutNs: 30_000 * ms, deliveryTimeoutNs: deliveryTimeoutMs * ms,
            backoff: RetryBackoff(initialMs: 100, maximumMs: 1000, seed: 7))
    }

    /// A sealed batch of `records` records for `partition`, rank `index`.
    static func batch(_ id: UInt64, _ partition: TopicPartition = tp, index: UInt64, records: Int = 3, createdAt: UInt64 = 0) -> ProducerBatch {
        var builder = RecordBatchBuilder()
        for record in 0..<records { builder.append(timestamp: 1000, key: nil, value: Array("b\(id)-\(record)".utf8)) }
        let sealed = try! builder.seal(with: try! BatchCompressor(.none))
        return ProducerBatch(
            id: id, topicPartition: partition, index: index, sealed: sealed,
            tokens: (0..<records).map { UInt64(id * 100) + UInt64($0) }, createdAt: createdAt, reservedBytes: 100)
    }

    /// A machine with a producer id, a leader for both partitions on node 1, and node 1 ready.
    static func readyMachine(_ settings: SenderStateMachine.Settings = settings()) -> SenderStateMachine {
        var machine = SenderStateMachine(settings: settings)
        _ = machine.leadersChanged([tp: 1, tp1: 1], now: 0)
        _ = machine.nodeReady(1, produceVersion: 9, now: 0)
        if settings.idempotent {
            _ = machine.identityReceived(ProducerIdentity(producerId: 42, epoch: 0), now: 0)
        }
        return machine
    }

    static func sends(_ actions: [SenderAction]) -> [(node: Int32, request: UInt64, items: [SenderAction.Item])] {
        actions.compactMap {
            if case .send(let node, let request, let items, _) = $0 { return (node, request, items) }
            return nil
        }
    }

    static func header(_ item: SenderAction.Item) -> (producerId: Int64, epoch: Int16, sequence: Int32) {
        let buffer = item.records
        return (
            buffer.getInteger(at: RecordBatchLayout.producerId, as: Int64.self)!,
            buffer.getInteger(at: RecordBatchLayout.producerEpoch, as: Int16.self)!,
            buffer.getInteger(at: RecordBatchLayout.baseSequence, as: Int32.self)!)
    }

    static func response(_ results: [(TopicPartition, KafkaErrorCode, Int64)]) -> ProduceResponse {
        var byTopic: [String: [ProduceResponse.PartitionProduceResponse]] = [:]
        for (partition, code, offset) in results {
            byTopic[partition.topic, default: []].append(.init(index: partition.partition, errorCode: code.rawValue, baseOffset: offset))
        }
        return ProduceResponse(responses: byTopic.map { .init(name: $0.key, partitionResponses: $0.value) })
    }

    static func delivered(_ actions: [SenderAction]) -> [(UInt64, Int64)] {
        actions.compactMap { if case .delivered(let batch, let offset, _) = $0 { return (batch.id, offset) } else { return nil } }
    }

    static func failed(_ actions: [SenderAction]) -> [(UInt64, ProducerError)] {
        actions.compactMap { if case .failed(let batch, let error) = $0 { return (batch.id, error) } else { return nil } }
    }

    @Test("idempotence: the first batch asks for a producer id, then goes out with sequence 0; the next continues at 3")
    func producerIdThenSequences() {
        var machine = SenderStateMachine(settings: Self.settings())
        _ = machine.leadersChanged([Self.tp: 1], now: 0)
        _ = machine.nodeReady(1, produceVersion: 9, now: 0)
        let first = machine.batchSealed(Self.batch(1, index: 0), now: 0)
        #expect(first.count == 1)
        guard case .initProducerId(nil) = first.first else { Issue.record("expected initProducerId, got \(first)"); return }
        let sent = Self.sends(machine.identityReceived(ProducerIdentity(producerId: 42, epoch: 3), now: 1))
        #expect(sent.count == 1)
        #expect(Self.header(sent[0].items[0]) == (42, 3, 0))
        let next = Self.sends(machine.batchSealed(Self.batch(2, index: 1), now: 2))
        #expect(Self.header(next[0].items[0]) == (42, 3, 3))
    }

    @Test("batches sealed out of order are sent in creation order")
    func sealedOutOfOrder() {
        var machine = Self.readyMachine()
        #expect(Self.sends(machine.batchSealed(Self.batch(2, index: 1), now: 0)).isEmpty)
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        #expect(sent.count == 2)
        #expect(sent.map { Self.header($0.items[0]).sequence } == [0, 3])
    }

    @Test("at most max.in.flight.requests.per.connection requests per broker; the next waits for an answer")
    func inFlightLimit() {
        var machine = Self.readyMachine(Self.settings(maxInFlight: 2))
        var sent: [(node: Int32, request: UInt64, items: [SenderAction.Item])] = []
        for index in 0..<4 { sent += Self.sends(machine.batchSealed(Self.batch(UInt64(index + 1), index: UInt64(index)), now: 0)) }
        #expect(sent.count == 2)
        let after = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .none, 0)]), now: 1)
        #expect(Self.delivered(after).map(\.0) == [1])
        #expect(Self.sends(after).count == 1)
    }

    @Test("a lost connection retries everything in flight, in order, one batch at a time, same sequences")
    func connectionLost() {
        var machine = Self.readyMachine()
        var sent: [(node: Int32, request: UInt64, items: [SenderAction.Item])] = []
        for index in 0..<3 { sent += Self.sends(machine.batchSealed(Self.batch(UInt64(index + 1), index: UInt64(index)), now: 0)) }
        #expect(sent.count == 3)
        let down = machine.nodeDown(1, now: 10 * Self.ms)
        #expect(Self.sends(down).isEmpty)
        let allPossiblyWritten = machine.batches.values.allSatisfy { $0.possiblyWritten }
        #expect(allPossiblyWritten)
        let again = Self.sends(machine.nodeReady(1, produceVersion: 9, now: 2000 * Self.ms))
        #expect(again.count == 1, "retries go one at a time")
        #expect(Self.header(again[0].items[0]).sequence == 0)
        let second = Self.sends(machine.produceResponse(again[0].request, Self.response([(Self.tp, .none, 0)]), now: 2001 * Self.ms))
        #expect(second.count == 1)
        #expect(Self.header(second[0].items[0]).sequence == 3)
    }

    @Test("DUPLICATE_SEQUENCE_NUMBER is success: the broker already has the batch")
    func duplicateIsSuccess() {
        var machine = Self.readyMachine()
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        let done = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .duplicateSequenceNumber, -1)]), now: 1)
        #expect(Self.delivered(done).map(\.0) == [1])
        #expect(Self.failed(done).isEmpty)
    }

    @Test("NOT_LEADER_OR_FOLLOWER: metadata refresh, then the batch goes to the new leader")
    func leaderMove() {
        var machine = Self.readyMachine()
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        let answer = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .notLeaderOrFollower, -1)]), now: 1)
        #expect(answer.contains { if case .refreshMetadata = $0 { return true } else { return false } })
        let moved = machine.leadersChanged([Self.tp: 2], now: 500 * Self.ms)
        #expect(moved.contains { if case .connect(node: 2) = $0 { return true } else { return false } })
        let resent = Self.sends(machine.nodeReady(2, produceVersion: 9, now: 500 * Self.ms))
        #expect(resent.first?.node == 2)
        #expect(Self.header(resent[0].items[0]).sequence == 0)
        #expect(!machine.batches[1]!.possiblyWritten, "a refused batch was not written")
    }

    @Test("UNKNOWN_PRODUCER_ID: wait for in-flight requests, bump, then resend with sequences from 0")
    func unknownProducerId() {
        var machine = Self.readyMachine()
        var sent: [(node: Int32, request: UInt64, items: [SenderAction.Item])] = []
        for index in 0..<2 { sent += Self.sends(machine.batchSealed(Self.batch(UInt64(index + 1), index: UInt64(index)), now: 0)) }
        let first = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .unknownProducerId, -1)]), now: 1)
        #expect(first.allSatisfy { if case .initProducerId = $0 { return false } else { return true } }, "bump waits for request 2")
        let second = machine.produceResponse(sent[1].request, Self.response([(Self.tp, .outOfOrderSequenceNumber, -1)]), now: 2)
        #expect(second.contains { if case .initProducerId(bumping: ProducerIdentity(producerId: 42, epoch: 0)) = $0 { return true } else { return false } })
        // tansu cannot bump: fall back to a fresh id.
        let fallback = machine.identityFailed(.unknownServerError, message: "no bump", now: 3)
        #expect(fallback.contains { if case .initProducerId(bumping: nil) = $0 { return true } else { return false } })
        let resent = Self.sends(machine.identityReceived(ProducerIdentity(producerId: 43, epoch: 0), now: 2000 * Self.ms))
        #expect(resent.count == 1)
        #expect(Self.header(resent[0].items[0]) == (43, 0, 0))
        let next = Self.sends(machine.produceResponse(resent[0].request, Self.response([(Self.tp, .none, 0)]), now: 2001 * Self.ms))
        #expect(Self.header(next[0].items[0]) == (43, 0, 3))
    }

    @Test("OUT_OF_ORDER_SEQUENCE_NUMBER behind a failed batch is an ordinary retry, not a bump")
    func outOfOrderBehindFailure() {
        var machine = Self.readyMachine()
        var sent: [(node: Int32, request: UInt64, items: [SenderAction.Item])] = []
        for index in 0..<2 { sent += Self.sends(machine.batchSealed(Self.batch(UInt64(index + 1), index: UInt64(index)), now: 0)) }
        _ = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .notEnoughReplicas, -1)]), now: 1)
        let second = machine.produceResponse(sent[1].request, Self.response([(Self.tp, .outOfOrderSequenceNumber, -1)]), now: 2)
        #expect(!second.contains { if case .initProducerId = $0 { return true } else { return false } })
        #expect(machine.idempotence == .ready(ProducerIdentity(producerId: 42, epoch: 0)))
        let retry = Self.sends(machine.tick(now: 5000 * Self.ms))
        #expect(retry.count == 1)
        #expect(Self.header(retry[0].items[0]).sequence == 0)
    }

    @Test("a batch that may have been written is never failed by delivery.timeout.ms; one that surely was not, is")
    func deliveryTimeout() {
        var machine = Self.readyMachine(Self.settings(deliveryTimeoutMs: 1000))
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0, createdAt: 0), now: 0))
        _ = machine.nodeDown(1, now: 1)
        let later = machine.tick(now: 5000 * Self.ms)
        #expect(Self.failed(later).isEmpty, "batch 1 may be in Kafka")
        _ = sent

        var other = Self.readyMachine(Self.settings(deliveryTimeoutMs: 1000))
        _ = other.leadersChanged([Self.tp: nil], now: 0)
        _ = other.batchSealed(Self.batch(2, index: 0, createdAt: 0), now: 0)
        let expired = Self.failed(other.tick(now: 1001 * Self.ms))
        #expect(expired.map(\.0) == [2])
        #expect(expired.first?.1.code == .deliveryTimeout)
    }

    @Test("retries run out only for batches that were surely not written")
    func retriesExhausted() {
        var machine = Self.readyMachine(Self.settings(retries: 1))
        var sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        _ = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .notLeaderOrFollower, -1)]), now: 1)
        sent = Self.sends(machine.tick(now: 1000 * Self.ms))
        let last = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .notLeaderOrFollower, -1)]), now: 1001 * Self.ms)
        #expect(Self.failed(last).first?.1.code == .retriesExhausted)

        var written = Self.readyMachine(Self.settings(retries: 0))
        let out = Self.sends(written.batchSealed(Self.batch(2, index: 0), now: 0))
        let unknown = written.requestFailed(out[0].request, reason: "timeout", now: 1)
        #expect(Self.failed(unknown).isEmpty, "outcome unknown: keep retrying")
    }

    @Test("MESSAGE_TOO_LARGE splits a batch of many records, fails a single record alone")
    func tooLarge() {
        var machine = Self.readyMachine()
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0, records: 4), now: 0))
        let answer = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .messageTooLarge, -1)]), now: 1)
        #expect(answer.contains { if case .split(let batch) = $0 { return batch.id == 1 } else { return false } })
        // While it is being split (on a compression thread), nothing newer of its partition is sent.
        #expect(Self.sends(machine.batchSealed(Self.batch(3, index: 1, records: 2), now: 2)).isEmpty)
        #expect(Self.sends(machine.tick(now: 10_000 * Self.ms)).isEmpty)
        // Its halves take its place, ahead of the newer batch.
        let halves = [Self.batch(4, index: 0, records: 2), Self.batch(5, index: 0, records: 2)]
        _ = machine.batchSplit(1, into: halves, now: 10_001 * Self.ms)
        // The sequence numbers it had are gone with it: the halves go under a bumped epoch.
        let after = Self.sends(machine.identityReceived(ProducerIdentity(producerId: 42, epoch: 1), now: 10_002 * Self.ms))
        #expect(after.first?.items.count == 1)
        let firstSent = after.flatMap(\.items).first.map { Self.header($0).sequence }
        #expect(firstSent == 0, "the first half goes first, from sequence 0 after the bump")

        var single = Self.readyMachine()
        let one = Self.sends(single.batchSealed(Self.batch(2, index: 0, records: 1), now: 0))
        let refused = Self.failed(single.produceResponse(one[0].request, Self.response([(Self.tp, .messageTooLarge, -1)]), now: 1))
        #expect(refused.first?.1.code == .recordTooLarge)
    }

    @Test("a non-retriable error fails the batch and names topic, partition and code")
    func nonRetriable() {
        var machine = Self.readyMachine()
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        let failed = Self.failed(machine.produceResponse(sent[0].request, Self.response([(Self.tp, .topicAuthorizationFailed, -1)]), now: 1))
        let error = try! #require(failed.first?.1)
        #expect(error.topic == "logs" && error.partition == 0 && error.kafkaError == .topicAuthorizationFailed)
        #expect("\(error)".contains("TOPIC_AUTHORIZATION_FAILED (29)"))
    }

    @Test("ferry.retry.all.errors: a non-retriable code is retried (with a warning action), and delivery follows")
    func retryAllErrors() {
        var settings = Self.settings()
        settings.retryAllErrors = true
        var machine = Self.readyMachine(settings)
        let sent = Self.sends(machine.batchSealed(Self.batch(1, index: 0), now: 0))
        let answer = machine.produceResponse(sent[0].request, Self.response([(Self.tp, .topicAuthorizationFailed, -1)]), now: 1)
        #expect(Self.failed(answer).isEmpty)
        #expect(answer.contains { if case .retrying(Self.tp, let error) = $0 { return error.kafkaError == .topicAuthorizationFailed } else { return false } })
        let again = Self.sends(machine.tick(now: 2000 * Self.ms))
        #expect(Self.header(again[0].items[0]).sequence == 0)
        let done = machine.produceResponse(again[0].request, Self.response([(Self.tp, .none, 7)]), now: 2001 * Self.ms)
        #expect(Self.delivered(done).map(\.1) == [7])
    }

    @Test("acks=0: no response is awaited; batches are reported at once with offset -1")
    func acksZero() {
        var machine = Self.readyMachine(Self.settings(acks: 0, idempotent: false))
        let actions = machine.batchSealed(Self.batch(1, index: 0), now: 0)
        guard case .send(_, _, _, let expects) = actions.first else { Issue.record("no send"); return }
        #expect(!expects)
        #expect(Self.delivered(actions).map(\.1) == [-1])
        #expect(machine.requestsInFlight == 0)
    }

    @Test("a request without an answer in request.timeout.ms closes the connection and is retried")
    func requestTimeout() {
        var machine = Self.readyMachine()
        _ = machine.batchSealed(Self.batch(1, index: 0), now: 0)
        let actions = machine.tick(now: 30_001 * Self.ms)
        #expect(actions.contains { if case .closeConnection(node: 1) = $0 { return true } else { return false } })
        #expect(machine.batches[1]?.possiblyWritten == true)
    }

    @Test("one request carries one batch per partition, for every partition the broker leads")
    func requestGrouping() {
        var machine = Self.readyMachine(Self.settings(maxInFlight: 1))
        let first = Self.sends(machine.batchSealed(Self.batch(1, Self.tp, index: 0), now: 0))
        _ = machine.batchSealed(Self.batch(2, Self.tp1, index: 0), now: 0)
        _ = machine.batchSealed(Self.batch(3, Self.tp, index: 1), now: 0)
        let next = Self.sends(machine.produceResponse(first[0].request, Self.response([(Self.tp, .none, 0)]), now: 1))
        #expect(next.count == 1)
        #expect(Set(next[0].items.map(\.topicPartition)) == [Self.tp, Self.tp1])
    }

    @Test("failAll reports possibly-written batches as outcome unknown, the rest as closed")
    func failAll() {
        var machine = Self.readyMachine()
        _ = machine.batchSealed(Self.batch(1, index: 0), now: 0)
        _ = machine.nodeDown(1, now: 1)
        _ = machine.leadersChanged([Self.tp1: nil], now: 1)
        _ = machine.batchSealed(Self.batch(2, Self.tp1, index: 0), now: 1)
        let codes = Dictionary(uniqueKeysWithValues: Self.failed(machine.failAll(now: 2)).map { ($0.0, $0.1.code) })
        #expect(codes == [1: .outcomeUnknown, 2: .closed])
        #expect(machine.pendingBatchCount == 0)
    }
}
