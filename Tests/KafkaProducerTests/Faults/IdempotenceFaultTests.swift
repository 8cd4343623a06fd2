import FerryTestSupport
import KafkaProducer
import KafkaWire
import Testing

extension ProducerFaults {
    /// Lost producer state and lost answers, from the fake cluster: the idempotent producer must end with
    /// every record in the log exactly once, in order.
    @Suite("fake cluster: producer ids and lost answers")
    struct Idempotence {
        /// How the cluster gives a new identity after UNKNOWN_PRODUCER_ID.
        enum Renewal: String, CaseIterable, Sendable {
            /// InitProducerId v3+ bumps the epoch of the producer id.
            case epochBump
            /// InitProducerId only up to v2: the producer cannot ask for a bump and takes a fresh id.
            case freshIdOldBroker
            /// InitProducerId v3+ answers a bump request with a fresh id (Apache Kafka, non-transactional).
            case freshIdLikeKafka
        }

        @Test("UNKNOWN_PRODUCER_ID mid-run (the broker forgot the producer, twice)", arguments: Renewal.allCases)
        func unknownProducerId(renewal: Renewal) async throws {
            let seed: UInt64 = 0x1D_0059 &+ UInt64(Renewal.allCases.firstIndex(of: renewal)!)
            var options = FakeKafkaOptions()
            switch renewal {
            case .epochBump: break
            case .freshIdOldBroker: options.apiVersions[.initProducerId] = 0...2
            case .freshIdLikeKafka: options.bumpsEpochs = false
            }
            let cluster = try FakeKafkaCluster(brokers: 2, options: options)
            defer { cluster.stop() }
            let topic = "forgotten"
            try cluster.createTopic(topic, partitions: 4)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 3000) { step in
                if step == 8 || step == 18 { cluster.forgetProducers() }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            let stats = cluster.stats
            #expect(stats.answers(.unknownProducerId) > 0, "the fault did not bite: \(stats.produceAnswers)")
            switch renewal {
            case .epochBump: #expect(stats.epochBumps >= 2, "\(stats.epochBumps) bumps")
            case .freshIdOldBroker, .freshIdLikeKafka: #expect(stats.producerIdsIssued >= 3, "\(stats.producerIdsIssued) ids")
            }
        }

        @Test(
            "a connection closed after the broker applied a Produce: the retry is a duplicate and counts as delivered")
        func closeAfterApplying() async throws {
            let seed: UInt64 = 0x1D_C105
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "applied"
            try cluster.createTopic(topic, partitions: 3)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 3000) { step in
                if step % 5 == 3 { cluster.inject(FakeConnectionFault(.closeAfterApplying)) }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            let stats = cluster.stats
            #expect(stats.duplicates > 0 && stats.answers(.duplicateSequenceNumber) == stats.duplicates)
            #expect(run.producer.counters.connectionFailures.load(ordering: .relaxed) >= 6)
        }

        @Test(
            "a connection closed before the broker applied a Produce (the request is lost): resent, once")
        func closeBeforeApplying() async throws {
            let seed: UInt64 = 0x1D_C10B
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "lost-request"
            try cluster.createTopic(topic, partitions: 3)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 3000) { step in
                if step % 5 == 3 { cluster.inject(FakeConnectionFault(.closeBeforeApplying)) }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
        }

        @Test(
            "answers later than request.timeout.ms (1000 ms): the producer drops the connection and retries; duplicates count as delivered")
        func answerPastRequestTimeout() async throws {
            let seed: UInt64 = 0x1D_7140
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "slow"
            try cluster.createTopic(topic, partitions: 3)
            let run = try FaultWorkload(
                bootstrap: cluster.bootstrap, topic: topic, seed: seed, properties: ["request.timeout.ms": "1000"])
            try await run.send(count: 2500) { step in
                if step == 4 || step == 14 { cluster.inject(FakeConnectionFault(.delayResponse(milliseconds: 1600))) }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.duplicates > 0, "the late requests were applied, so their retries are duplicates")
            #expect(run.producer.counters.connectionFailures.load(ordering: .relaxed) >= 2)
        }

        @Test(
            "an epoch bump (after a non-retriable error on one partition) while another partition's batch has an unknown outcome (written, answered REQUEST_TIMED_OUT): that batch is not written twice")
        func bumpWithUnresolvedBatch() async throws {
            let seed: UInt64 = 0x1D_B0B0
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "unresolved"
            try cluster.createTopic(topic, partitions: 2)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2000) { step in
                if step == 5 {
                    cluster.inject(FakeProduceFault(topic: topic, partition: 0, error: .requestTimedOut, requests: 3))
                    cluster.inject(FakeProduceFault(topic: topic, partition: 1, error: .topicAuthorizationFailed))
                }
            }
            let outcome = await run.expectDeliveredOnceInOrder(in: cluster, allowFailures: true)
            cluster.expectCleanAndFired(seed: seed)
            #expect(outcome.failed.values.allSatisfy { $0.partition == 1 && $0.kafkaError == .topicAuthorizationFailed })
            #expect(cluster.stats.epochBumps >= 1, "the failed batch left a sequence gap: the producer must bump")
        }

        @Test(
            "the retries of a written batch are refused 6 times while newer batches of its partition could go: they must not run past the broker's window of 5 remembered batches (else OUT_OF_ORDER, a bump, a duplicate)")
        func retryOvertakenBeyondWindow() async throws {
            let seed: UInt64 = 0x1D_0005
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "window"
            try cluster.createTopic(topic, partitions: 1)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2500) { step in
                if step == 4 {
                    cluster.inject(FakeProduceFault(topic: topic, partition: 0, error: .notEnoughReplicasAfterAppend))
                    cluster.inject(FakeProduceFault(
                        topic: topic, partition: 0, error: .notEnoughReplicas, requests: 6, onlyAlreadyWritten: true))
                }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.answers(.notEnoughReplicas) == 6)
        }

        @Test(
            "a batch the broker wrote (NOT_ENOUGH_REPLICAS_AFTER_APPEND) whose retry gets a non-retriable error is reported as outcome unknown, not as not delivered")
        func writtenThenRefused() async throws {
            let seed: UInt64 = 0x1D_2029
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "written-then-refused"
            try cluster.createTopic(topic, partitions: 2)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 1500) { step in
                if step == 5 {
                    // The first fault writes a batch; the second hits only its retry (a batch already written).
                    cluster.inject(FakeProduceFault(topic: topic, partition: 0, error: .notEnoughReplicasAfterAppend))
                    cluster.inject(FakeProduceFault(
                        topic: topic, partition: 0, error: .topicAuthorizationFailed, onlyAlreadyWritten: true))
                }
            }
            let outcome = await run.expectDeliveredOnceInOrder(in: cluster, allowFailures: true)
            cluster.expectCleanAndFired(seed: seed)
            let failed = run.deliveryReports.compactMap(\.error)
            try #require(failed.count == 1, "seed 0x\(String(seed, radix: 16)): \(failed)")
            #expect(failed[0].code == .outcomeUnknown, "the records are in the log, yet reported: \(failed[0])")
            #expect(outcome.failed.count > 0)
        }

        @Test(
            "InitProducerId lost twice (connection closed before and after it): the producer asks again")
        func initProducerIdLost() async throws {
            let seed: UInt64 = 0x1D_1417
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "no-id-yet"
            try cluster.createTopic(topic, partitions: 2)
            cluster.inject(FakeConnectionFault(.closeBeforeApplying, api: .initProducerId))
            cluster.inject(FakeConnectionFault(.closeAfterApplying, api: .initProducerId))
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 1000)
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.producerIdsIssued >= 2)
        }
    }
}
