import FerryTestSupport
import KafkaProducer
import KafkaWire
import Testing

extension ProducerFaults {
    /// Partition leadership moving between brokers of the fake cluster while records flow.
    @Suite("fake cluster: leaders and brokers")
    struct Leaders {
        @Test("NOT_LEADER_OR_FOLLOWER with leader moves mid-run (2 brokers): records follow the leader, once, in order")
        func leaderMove() async throws {
            let seed: UInt64 = 0x1EAD_0006
            let cluster = try FakeKafkaCluster(brokers: 2)
            defer { cluster.stop() }
            let topic = "moves"
            try cluster.createTopic(topic, partitions: 4, leaders: [1, 1, 2, 2])
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 3000) { step in
                switch step {
                case 6: try cluster.moveLeader(topic: topic, partition: 0, to: 2)
                case 12: try cluster.moveLeader(topic: topic, partition: 3, to: 1)
                case 18: try cluster.moveLeader(topic: topic, partition: 0, to: 1)
                default: break
                }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            #expect(cluster.stats.answers(.notLeaderOrFollower) > 0, "\(cluster.stats.produceAnswers)")
            // The moves happened mid-run: partition 0 was written by both brokers, partition 3 too.
            #expect(Set(cluster.records(topic: topic, partition: 0).map(\.node)) == [1, 2])
            #expect(Set(cluster.records(topic: topic, partition: 3).map(\.node)) == [1, 2])
        }

        @Test("3 brokers, 6 partitions led by different brokers; leaders change mid-run, one partition is leaderless for a while, a broker drops its connections")
        func multiBroker() async throws {
            let seed: UInt64 = 0x1EAD_0303
            let cluster = try FakeKafkaCluster(brokers: 3)
            defer { cluster.stop() }
            let topic = "spread"
            try cluster.createTopic(topic, partitions: 6)
            #expect((0..<6).map { cluster.leader(of: topic, partition: Int32($0)) } == [1, 2, 3, 1, 2, 3])
            let run = try FaultWorkload(bootstrap: cluster.bootstrap, topic: topic, seed: seed)
            try await run.send(count: 4000) { step in
                switch step {
                case 6: try cluster.moveLeader(topic: topic, partition: 0, to: 2)
                case 10: try cluster.moveLeader(topic: topic, partition: 4, to: 3)
                case 14: try cluster.moveLeader(topic: topic, partition: 2, to: nil)
                case 18: try cluster.moveLeader(topic: topic, partition: 2, to: 1)
                case 24: cluster.dropConnections(node: 3)
                case 28: try cluster.moveLeader(topic: topic, partition: 5, to: 1)
                default: break
                }
            }
            await run.expectDeliveredOnceInOrder(in: cluster)
            cluster.expectCleanAndFired(seed: seed)
            let writers = (0..<6).map { Set(cluster.records(topic: topic, partition: Int32($0)).map(\.node)) }
            #expect(writers[0] == [1, 2] && writers[2] == [3, 1] && writers[4] == [2, 3] && writers[5] == [3, 1], "\(writers)")
            #expect(writers[1] == [2] && writers[3] == [1], "\(writers)")
            #expect(cluster.stats.answers(.notLeaderOrFollower) > 0)
        }
    }
}
