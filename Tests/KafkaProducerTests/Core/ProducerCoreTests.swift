import FerryTestSupport
import KafkaWire
import Testing

@testable import KafkaProducer

/// The producer core's decisions, each tested without a socket: the core runs on NIO's `EmbeddedEventLoop`
/// (virtual time is its clock), its connector hands it in-memory channels, and the fake cluster's state
/// answers them (``CoreHarness``). One event per line; time moves only when the test moves it, so the
/// times asserted are exact up to the 1 ms step and the ±20 % jitter Kafka's backoffs have.
@Suite("Producer core on EmbeddedEventLoop")
struct ProducerCoreTests {
    /// Whether each delay is the exponential backoff of its attempt (`initial` doubling up to `maximum`,
    /// ±20 % jitter, ±2 ms for the 1 ms steps).
    static func isBackoff(_ delays: [UInt64], initial: Double, maximum: Double) -> Bool {
        delays.enumerated().allSatisfy { attempt, delay in
            let expected = min(initial * Double(1 << min(attempt, 30)), maximum)
            return Double(delay) >= expected * 0.8 - 2 && Double(delay) <= expected * 1.2 + 2
        }
    }

    /// The differences between consecutive times, from `start`.
    static func gaps(_ times: [UInt64], from start: UInt64) -> [UInt64] {
        zip([start] + times, times).map { $1 - $0 }
    }

    @Test("a record goes out and is reported delivered, with its offset")
    func delivers() throws {
        let harness = try CoreHarness()
        try harness.cluster.createTopic("t", partitions: 1)
        let token = try harness.send("a", partition: 0)
        #expect(harness.outcomes[token].flatMap { try? $0.get() } == 0, "\(harness.outcomes) \(harness.logs.recent)")
        #expect(harness.log() == ["a"])
        #expect(harness.requestTimes(.produce) == [1], "\(harness.cluster.requests)")
        #expect(harness.cluster.violations.isEmpty, "\(harness.cluster.violations)")
    }

    @Test("metadata for a missing topic is asked again with exponential backoff (retry.backoff.ms 100 doubling to retry.backoff.max.ms 1000), until the topic exists")
    func metadataRetryAndBackoff() throws {
        let harness = try CoreHarness(properties: ["retry.backoff.ms": "100", "retry.backoff.max.ms": "1000"])
        #expect(try harness.trySend("a", partition: 0) == nil)  // no metadata for "t": the append would wait
        harness.advance(milliseconds: 5000)
        let asked = harness.requestTimes(.metadata)
        // At 0 ms: the bootstrap connection's request (no topic yet), then the one for "t"; then the retries.
        #expect(asked.prefix(2) == [0, 0], "\(asked)")
        let retries = Self.gaps(Array(asked.dropFirst(2)), from: 0)
        #expect(retries.count >= 6, "\(asked)")
        #expect(Self.isBackoff(retries, initial: 100, maximum: 1000), "metadata asked at \(asked) ms: delays \(retries)")
        try harness.cluster.createTopic("t", partitions: 1)
        let token = try harness.send("a", partition: 0)
        #expect(harness.delivered(token), "\(harness.outcomes) \(harness.logs.recent)")
        // The next retry (at most 1200 ms later) found the topic; then no more backoff.
        #expect(harness.elapsedMs <= 5000 + 1202, "delivered at \(harness.elapsedMs) ms")
        #expect(harness.cluster.violations.isEmpty, "\(harness.cluster.violations)")
    }

    @Test("bootstrap.servers: a refused server is skipped for the next; brokers gone are retried with reconnect backoff (50 ms doubling to 1 s) until they are back")
    func bootstrapRotation() throws {
        let harness = try CoreHarness(brokers: 2) { cluster in
            cluster.refusedPorts = [cluster.port(of: 1)]
            try cluster.createTopic("t", partitions: 1, leaders: [2])
        }
        let cluster = harness.cluster
        let a = try harness.send("a", partition: 0)
        #expect(cluster.attempts.map(\.description) == ["node 1 at 1000 ms refused", "node 2 at 1000 ms"])
        #expect(harness.delivered(a))
        let outage = cluster.attempts.count
        cluster.setUnavailable(true)
        harness.advance(milliseconds: 4000)
        for node: Int32 in [1, 2] {
            let tried = cluster.attempts.dropFirst(outage).filter { $0.node == node }
            #expect(tried.allSatisfy { !$0.accepted })
            let delays = Self.gaps(tried.map { harness.ms($0.at) }, from: 0)
            #expect(delays.count >= 6 && Self.isBackoff(delays, initial: 50, maximum: 1000), "node \(node) tried after \(delays) ms")
        }
        cluster.setUnavailable(false)
        let b = try harness.send("b", partition: 0)
        #expect(harness.advance(until: { harness.delivered(b) }, limit: 1300), "\(harness.outcomes) \(harness.logs.recent)")
        #expect(cluster.attempts.last?.node == 2 && cluster.attempts.last?.accepted == true)
        #expect(harness.log() == ["a", "b"])
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test("leader change: NOT_LEADER_OR_FOLLOWER from the old leader, new metadata, the record goes to the new leader once")
    func leaderChange() throws {
        let harness = try CoreHarness(brokers: 2)
        let cluster = harness.cluster
        try cluster.createTopic("t", partitions: 1, leaders: [1])
        let a = try harness.send("a", partition: 0)
        try cluster.moveLeader(topic: "t", partition: 0, to: 2)
        let b = try harness.send("b", partition: 0)
        harness.advance(milliseconds: 1000)
        let produced = cluster.requests.filter { $0.api == .produce }.map(\.node)
        #expect(produced == [1, 1, 2], "\(cluster.requests)")
        #expect(cluster.trace().contains { $0.contains("node 1 produce t-0") && $0.hasSuffix("NOT_LEADER_OR_FOLLOWER") }, "\(cluster.trace())")
        // The refusal asks for metadata at once; the retry waits retry.backoff.ms.
        let refusedAt = cluster.requests.filter { $0.api == .produce }[1].at
        #expect(cluster.requests.contains { $0.api == .metadata && $0.at == refusedAt }, "\(cluster.requests)")
        #expect(harness.outcomes[a].flatMap { try? $0.get() } == 0 && harness.outcomes[b].flatMap { try? $0.get() } == 1)
        #expect(harness.log() == ["a", "b"])
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test(
        "a sequence gap while another batch's fate is unknown: that batch is resolved under the old epoch first, then InitProducerId bumps the epoch (v3+) or, older brokers, gives a fresh producer id",
        arguments: [false, true])
    func epochBumpAfterUnknownFate(oldBroker: Bool) throws {
        var options = FakeKafkaOptions()
        if oldBroker { options.apiVersions[.initProducerId] = 0...2 }
        let harness = try CoreHarness(options: options)
        let cluster = harness.cluster
        try cluster.createTopic("t", partitions: 2)
        // t-0: written, but answered REQUEST_TIMED_OUT (its fate is unknown to the producer).
        cluster.inject(FakeProduceFault(topic: "t", partition: 0, error: .requestTimedOut))
        // t-1: refused for good: its sequence number is never written, a gap the producer must bump past.
        cluster.inject(FakeProduceFault(topic: "t", partition: 1, error: .topicAuthorizationFailed))
        let a = try harness.send("a", partition: 0)
        let b = try harness.send("b", partition: 1)
        harness.advance(milliseconds: 1000)
        let c = try harness.send("c", partition: 0)
        harness.advance(milliseconds: 100)
        let trace = cluster.trace()
        let resolved = trace.firstIndex { $0.contains("produce t-0 4000/0/0+1 -> DUPLICATE_SEQUENCE_NUMBER") }
        let renewed = trace.lastIndex { $0.contains("InitProducerId") }
        #expect(resolved != nil && renewed != nil && resolved! < renewed!, "\(trace)")
        let versions = cluster.requests.filter { $0.api == .initProducerId }.map(\.version)
        if oldBroker {
            // v2 cannot bump: the producer asked for a fresh id (-1/-1) instead.
            #expect(versions == [2, 2])
            #expect(trace.contains { $0.hasSuffix("InitProducerId v2 (asked -1/-1): fresh id 4001") }, "\(trace)")
            #expect(trace.contains { $0.contains("produce t-0 4001/0/0+1 -> NONE") }, "\(trace)")
        } else {
            #expect(versions == [4, 4])
            #expect(trace.contains { $0.hasSuffix("InitProducerId v4: bump 4000 to epoch 1") }, "\(trace)")
            #expect(trace.contains { $0.contains("produce t-0 4000/1/0+1 -> NONE") }, "\(trace)")
        }
        #expect(harness.delivered(a))
        #expect((try? harness.outcomes[b]?.get()) == nil && harness.outcomes[b] != nil)
        if case .failure(let error)? = harness.outcomes[b] { #expect(error.kafkaError == .topicAuthorizationFailed) }
        #expect(harness.outcomes[c].flatMap { try? $0.get() } == 1)
        #expect(harness.log(partition: 0) == ["a", "c"] && harness.log(partition: 1).isEmpty)
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test("no answer within request.timeout.ms: the connection is closed at the deadline, the batch retried after reconnecting, written once")
    func requestTimeout() throws {
        let harness = try CoreHarness(properties: ["request.timeout.ms": "1000", "delivery.timeout.ms": "5000"])
        let cluster = harness.cluster
        try cluster.createTopic("t", partitions: 1)
        cluster.inject(FakeConnectionFault(.delayResponse(milliseconds: 3000)))
        let a = try harness.send("a", partition: 0)
        let sentAt = harness.requestTimes(.produce)
        harness.advance(milliseconds: 2000)
        #expect(cluster.closes.map { harness.ms($0.at) } == [sentAt[0] + 1000], "closed at \(cluster.closes)")
        #expect(harness.logs.recent.contains("request timed out; closing the connection"), "\(harness.logs.recent)")
        let produced = harness.requestTimes(.produce)
        #expect(produced.count == 2 && produced[1] > sentAt[0] + 1000, "\(produced)")
        #expect(cluster.trace().last?.hasSuffix("produce t-0 4000/0/0+1 -> DUPLICATE_SEQUENCE_NUMBER") == true, "\(cluster.trace())")
        #expect(harness.delivered(a))
        #expect(harness.log() == ["a"])
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }

    @Test("InitProducerId lost with its connection: asked again on the next connection, with backoff; records wait for it")
    func initProducerIdLost() throws {
        let harness = try CoreHarness { cluster in
            try cluster.createTopic("t", partitions: 1)
            cluster.inject(FakeConnectionFault(.closeBeforeApplying, api: .initProducerId, requests: 2))
        }
        let a = try harness.send("a", partition: 0)
        #expect(harness.advance(until: { harness.delivered(a) }, limit: 3000), "\(harness.outcomes) \(harness.logs.recent)")
        let asked = harness.requestTimes(.initProducerId)
        #expect(asked.count == 3, "\(asked)")
        #expect(harness.cluster.closes.count == 2)
        #expect(harness.cluster.trace().contains { $0.hasSuffix("fresh id 4000") })
        #expect(harness.log() == ["a"])
    }

    @Test("MESSAGE_TOO_LARGE: the batch is split in two (on the compression service), both halves delivered in order, once")
    func splitTooLarge() throws {
        let harness = try CoreHarness(properties: ["linger.ms": "60000", "compression.type": "lz4"])
        let cluster = harness.cluster
        try cluster.createTopic("t", partitions: 1)
        cluster.inject(FakeProduceFault(topic: "t", partition: 0, error: .messageTooLarge, minimumRecords: 3))
        let tokens = try ["a", "b", "c", "d"].map { try harness.send($0, partition: 0) }
        #expect(cluster.requests.filter { $0.api == .produce }.isEmpty)  // lingering
        harness.core.closeOpenBatches()
        harness.advance(milliseconds: 500)
        let answers = cluster.trace().filter { $0.contains("node 1 produce t-0") }
        #expect(answers.count == 3 && answers[0].contains("+4 -> MESSAGE_TOO_LARGE"), "\(answers)")
        #expect(answers.dropFirst().allSatisfy { $0.contains("+2 -> NONE") }, "\(answers)")
        #expect(harness.logs.recent.contains("split in two"), "\(harness.logs.recent)")
        #expect(tokens.map { harness.outcomes[$0].flatMap { try? $0.get() } } == [0, 1, 2, 3], "\(harness.outcomes)")
        #expect(harness.log() == ["a", "b", "c", "d"])
        #expect(cluster.violations.isEmpty, "\(cluster.violations)")
    }
}
