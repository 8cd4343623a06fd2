import FerryTestSupport
import Foundation
import KafkaProducer
import KafkaWire
import Testing

extension ProducerFaults {
    /// Seeded random schedules of the fake cluster's faults, on 3 brokers. Forgetting producer ids is left
    /// out: a broker that forgets the producer while a batch's outcome is unknown leaves no way to tell
    /// whether that batch is in the log, so at-least-once must then accept a duplicate (the dedicated
    /// UNKNOWN_PRODUCER_ID tests forget with no outcome pending).
    @Suite("fake cluster: random fault schedules")
    struct RandomSchedules {
        static let retriable: [KafkaErrorCode] = [
            .notEnoughReplicas, .requestTimedOut, .leaderNotAvailable, .kafkaStorageError, .notEnoughReplicasAfterAppend,
            .corruptMessage, .notLeaderOrFollower, .networkException,
        ]

        /// The fixed seeds, or those of `FERRY_FAULT_SEEDS` (comma-separated, decimal or 0x-hex) to explore more.
        static let seeds: [UInt64] = {
            guard let text = ProcessInfo.processInfo.environment["FERRY_FAULT_SEEDS"] else {
                return [0x5EED_0001, 0x5EED_0002, 0x5EED_0003]
            }
            return text.split(separator: ",").compactMap { item in
                let trimmed = item.trimmingCharacters(in: .whitespaces)
                return trimmed.hasPrefix("0x") ? UInt64(trimmed.dropFirst(2), radix: 16) : UInt64(trimmed)
            }
        }()

        /// Fixed seeds of the run with non-retriable errors (the first two once caught producer bugs).
        static let seedsWithNonRetriable: [UInt64] = [0x5EED_0215, 0x5EED_021A, 0x5EED_0201]

        @Test(
            "4,000 records in 80 steps, a random fault at a third of the steps: every record once, in order",
            arguments: Self.seeds)
        func randomFaults(seed: UInt64) async throws {
            try await Self.run(seed: seed, nonRetriable: false)
        }

        @Test(
            "the same with TOPIC_AUTHORIZATION_FAILED among the faults: only refused batches fail, the rest once, in order",
            arguments: Self.seedsWithNonRetriable)
        func randomFaultsWithNonRetriable(seed: UInt64) async throws {
            try await Self.run(seed: seed, nonRetriable: true)
        }

        /// One random run: retriable faults only, or also non-retriable errors.
        static func run(seed: UInt64, nonRetriable: Bool) async throws {
            let cluster = try FakeKafkaCluster(brokers: 3)
            defer { cluster.stop() }
            let topic = "chaos"
            let partitions: Int32 = 6
            try cluster.createTopic(topic, partitions: Int(partitions))
            let run = try FaultWorkload(
                bootstrap: cluster.bootstrap, topic: topic, seed: seed, properties: ["request.timeout.ms": "1500"])
            var random = SeededGenerator(seed: seed ^ 0xFA17)
            var schedule: [String] = []
            var leaderless: [Int32: Int] = [:]  // partition -> step at which it gets a leader again
            try await run.send(count: 4000, step: 50, pause: .milliseconds(10)) { step in
                for (partition, until) in leaderless where until <= step {
                    try cluster.moveLeader(topic: topic, partition: partition, to: Int32.random(in: 1...3, using: &random))
                    leaderless[partition] = nil
                }
                guard Int.random(in: 0..<3, using: &random) == 0 else { return }
                let partition = Int32.random(in: 0..<partitions, using: &random)
                let node = Int32.random(in: 1...3, using: &random)
                let fault: String
                switch Int.random(in: 0..<9, using: &random) {
                case 0, 1:
                    let code = Self.retriable[Int.random(in: 0..<Self.retriable.count, using: &random)]
                    let requests = Int.random(in: 1...3, using: &random)
                    cluster.inject(FakeProduceFault(topic: topic, partition: partition, error: code, requests: requests))
                    fault = "\(code) x\(requests) on \(partition)"
                case 2:
                    cluster.inject(FakeConnectionFault(.closeBeforeApplying, node: node))
                    fault = "close before applying on node \(node)"
                case 3:
                    cluster.inject(FakeConnectionFault(.closeAfterApplying, node: node))
                    fault = "close after applying on node \(node)"
                case 4:
                    let delay = Int.random(in: 20...400, using: &random)
                    cluster.inject(FakeConnectionFault(.delayResponse(milliseconds: delay), node: node))
                    fault = "delay \(delay) ms on node \(node)"
                case 5:
                    try cluster.moveLeader(topic: topic, partition: partition, to: node)
                    fault = "leader of \(partition) to \(node)"
                case 6 where nonRetriable:
                    cluster.inject(FakeProduceFault(topic: topic, partition: partition, error: .topicAuthorizationFailed))
                    fault = "TOPIC_AUTHORIZATION_FAILED on \(partition)"
                case 6, 7:
                    cluster.dropConnections(node: node)
                    fault = "drop connections of node \(node)"
                default:
                    guard leaderless[partition] == nil else { return }
                    try cluster.moveLeader(topic: topic, partition: partition, to: nil)
                    leaderless[partition] = step + Int.random(in: 1...4, using: &random)
                    fault = "no leader for \(partition) until step \(leaderless[partition]!)"
                }
                schedule.append("step \(step): \(fault)")
            }
            for partition in leaderless.keys { try cluster.moveLeader(topic: topic, partition: partition, to: 1) }
            await run.expectDeliveredOnceInOrder(
                in: cluster, allowFailures: nonRetriable, timeout: .seconds(30),
                note: "schedule: \(schedule.joined(separator: "; "))")
            #expect(cluster.violations.isEmpty, "seed 0x\(String(seed, radix: 16)): \(cluster.violations.prefix(10)); schedule: \(schedule)")
            let failures = run.deliveryReports.compactMap(\.error)
            #expect(
                failures.allSatisfy { $0.kafkaError == .topicAuthorizationFailed || $0.code == .outcomeUnknown },
                "seed 0x\(String(seed, radix: 16)): unexpected failures \(failures.prefix(3))")
            #expect(schedule.count >= 15, "seed 0x\(String(seed, radix: 16)): only \(schedule.count) faults")
        }
    }
}
