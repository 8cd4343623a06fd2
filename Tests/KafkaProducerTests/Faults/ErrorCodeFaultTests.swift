import FerryTestSupport
import KafkaProducer
import KafkaWire
import Testing

extension ProducerFaults {
    /// Error codes in Produce answers, from the fake cluster: retriable ones are retried until the records
    /// are in the log exactly once and in order; a non-retriable one fails exactly its batch.
    @Suite("fake cluster: error codes")
    struct ErrorCodes {
        /// Codes a producer must retry, with whether the broker wrote the batch before answering.
        static let retriable: [KafkaErrorCode] = [
            .notEnoughReplicas, .requestTimedOut, .leaderNotAvailable, .kafkaStorageError, .notEnoughReplicasAfterAppend,
            .corruptMessage, .notLeaderOrFollower, .unknownTopicOrPartition, .networkException,
        ]

        @Test(
            "a retriable code answered 3 times in a row on one partition, 4 times in a run: no loss, no reordering, no duplicate",
            arguments: retriable)
        func retriableCode(code: KafkaErrorCode) async throws {
            let seed = 0xC0DE_0000 &+ UInt64(code.rawValue)
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "codes"
            try cluster.createTopic(topic, partitions: 3)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2000) { step in
                if [3, 7, 11, 15].contains(step) {
                    cluster.inject(FakeProduceFault(topic: topic, partition: Int32(step % 3), error: code, requests: 3))
                }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            let stats = cluster.stats
            #expect(stats.answers(code) == 12, "seed 0x\(String(seed, radix: 16)): \(stats.faultsFired)")
            if FakeProduceFault.writtenDespiteError.contains(code) {
                // The retries of batches the broker had written came back as duplicates.
                #expect(stats.duplicates > 0 && stats.answers(.duplicateSequenceNumber) == stats.duplicates)
            }
        }

        @Test("MESSAGE_TOO_LARGE: the batch is split and its halves are delivered in order, once")
        func messageTooLargeSplits() async throws {
            let seed: UInt64 = 0xC0DE_0010
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "too-large"
            try cluster.createTopic(topic, partitions: 2)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2000) { step in
                if step == 4 || step == 12 {
                    // A batch of one record cannot be split (it fails record_too_large, as Java's does: see
                    // SenderStateMachineTests.tooLarge); which batch comes next depends on timing.
                    cluster.inject(
                        FakeProduceFault(topic: topic, partition: Int32(step % 2), error: .messageTooLarge, minimumRecords: 2))
                }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.answers(.messageTooLarge) == 2)
        }

        @Test("an old broker (ApiVersions v0-2, Produce v3-7, Metadata v1-8, InitProducerId v0-1) with a leader move and a forgotten producer")
        func oldBroker() async throws {
            let seed: UInt64 = 0xC0DE_0A1D
            var options = FakeKafkaOptions()
            options.apiVersions = [.apiVersions: 0...2, .produce: 3...7, .metadata: 1...8, .initProducerId: 0...1]
            options.staleEpochError = .producerFenced
            let cluster = try FakeKafkaCluster(brokers: 2, options: options)
            defer { cluster.stop() }
            let topic = "old"
            try cluster.createTopic(topic, partitions: 2)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2000) { step in
                if step == 5 { try cluster.moveLeader(topic: topic, partition: 0, to: 2) }
                if step == 10 { cluster.forgetProducers() }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.producerIdsIssued >= 2 && cluster.stats.epochBumps == 0)
        }

        @Test(
            "the retries counter counts the attempts that failed and were retried")
        func retriesCounter() async throws {
            let seed: UInt64 = 0xC0DE_C0C0
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "counted"
            try cluster.createTopic(topic, partitions: 1)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 500) { step in
                if step == 2 { cluster.inject(FakeProduceFault(topic: topic, partition: 0, error: .notEnoughReplicas, requests: 3)) }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.answers(.notEnoughReplicas) == 3)
            #expect(run.producer.counters.retries.load(ordering: .relaxed) >= 3, "\(run.producer.counters.snapshot)")
        }

        @Test("written despite the error, with a broker that answers duplicates with the original offset (Apache Kafka)")
        func notEnoughReplicasAfterAppendKafkaStyle() async throws {
            let seed: UInt64 = 0xC0DE_1020
            var options = FakeKafkaOptions()
            options.duplicateAnswer = .originalOffset
            let cluster = try FakeKafkaCluster(brokers: 1, options: options)
            defer { cluster.stop() }
            let topic = "after-append"
            try cluster.createTopic(topic, partitions: 2)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 2000) { step in
                if step % 4 == 2 {
                    cluster.inject(FakeProduceFault(topic: topic, partition: Int32(step % 2), error: .notEnoughReplicasAfterAppend))
                }
            }
            // DeliveryCheck also checks that the offsets reported for duplicates hold the right records.
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.duplicates > 0)
        }

        @Test("TOPIC_AUTHORIZATION_FAILED fails exactly that partition's batch, naming topic, partition and code; the rest is delivered and the producer keeps working")
        func nonRetriableFailsOneBatch() async throws {
            let seed: UInt64 = 0xC0DE_0029
            let cluster = try FakeKafkaCluster(brokers: 1)
            defer { cluster.stop() }
            let topic = "denied"
            try cluster.createTopic(topic, partitions: 3)
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            var sentBeforeFault = 0
            try await run.send(count: 3000) { step in
                if step == 10 {
                    sentBeforeFault = run.sentCount
                    cluster.inject(FakeProduceFault(topic: topic, partition: 1, error: .topicAuthorizationFailed))
                }
            }
            let outcome = await run.expectDeliveredOnceInOrder(in: cluster, allowFailures: true)
            cluster.expectCleanAndFired(seed: seed)

            let failedReports = run.deliveryReports.filter { $0.error != nil }
            try #require(failedReports.count == 1, "seed 0x\(String(seed, radix: 16)): \(failedReports.map { "\($0.error!)" })")
            let report = failedReports[0]
            let error = try #require(report.error)
            #expect(report.partition == 1)
            #expect(error.code == .brokerError)
            #expect(error.topic == topic && error.partition == 1 && error.kafkaError == .topicAuthorizationFailed)
            let text = "\(error)"
            #expect(text.contains("\(topic)-1") && text.contains("TOPIC_AUTHORIZATION_FAILED") && text.contains("29"), "\(text)")
            // Exactly the records of that batch failed: all on partition 1, consecutive among partition 1's sends.
            let sent = run.sent
            let failedTokens = report.tokens
            #expect(Set(outcome.failed.keys) == Set(failedTokens))
            #expect(failedTokens.allSatisfy { sent[Int($0)].partition == 1 })
            let partitionOne = sent.filter { $0.partition == 1 }.map(\.token)
            if let first = partitionOne.firstIndex(of: failedTokens[0]) {
                #expect(Array(partitionOne[first..<min(first + failedTokens.count, partitionOne.count)]) == failedTokens)
            } else {
                Issue.record("the failed tokens are not partition 1's")
            }
            // The producer kept working: partition 1 records sent well after the fault were delivered.
            let later = sent.filter { $0.partition == 1 && Int($0.token) > sentBeforeFault + 500 }
            #expect(!later.isEmpty && later.allSatisfy { outcome.delivered.contains($0.token) })
            #expect(outcome.delivered.count == sent.count - failedTokens.count)
        }
    }
}
