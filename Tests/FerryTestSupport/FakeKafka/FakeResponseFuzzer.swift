import KafkaWire
import NIOConcurrencyHelpers
import NIOCore

/// Turns the fake cluster into a hostile broker: a share of its answers is mutated before it leaves, in the
/// ways a broken, buggy or malicious broker (or a corrupting network) would answer the producer.
///
/// Two stages, both seeded and replayable:
/// - **structured** (on the response value, before encoding): Metadata with negative, huge, duplicated or
///   missing partition indexes, 100,000+ partitions, brokers with impossible ports or empty hosts, leaders
///   that are no broker; Produce answers with unknown or random error codes, absurd offsets, partitions
///   never asked about; InitProducerId with random codes, ids and epochs;
/// - **bytes** (on the encoded frame): bit flips, truncation (with a size prefix that tells the truth or
///   lies), a wrong correlation id, absurd 32-bit counts and 5-byte varints written over fields, garbage
///   bodies, a size prefix of 2 GiB or negative, the answer sent twice, unsolicited frames, no answer at all.
///
/// The fuzzer can be switched off (``isEnabled``) to check that the producer recovers once the broker
/// behaves. It counts what it did (``stats``).
public final class FakeResponseFuzzer: Sendable {
    /// What the fuzzer did so far.
    public struct Stats: Sendable, CustomStringConvertible {
        /// Answers that passed through while enabled (mutated or not).
        public var responses = 0
        /// Answers changed, by kind of change.
        public var mutations: [String: Int] = [:]
        /// All changes.
        public var mutated: Int { mutations.values.reduce(0, +) }

        public var description: String {
            "responses=\(responses) mutated=\(mutated) " + mutations.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
    }

    private struct State {
        var generator: SeededGenerator
        var enabled = true
        var stats = Stats()
    }

    private let state: NIOLockedValueBox<State>
    /// The share of answers mutated (0...1).
    public let rate: Double

    /// Makes a fuzzer mutating about `rate` of the answers.
    public init(seed: UInt64, rate: Double) {
        state = NIOLockedValueBox(State(generator: SeededGenerator(seed: seed)))
        self.rate = rate
    }

    /// Whether answers are mutated now.
    public var isEnabled: Bool {
        get { state.withLockedValue { $0.enabled } }
        set { state.withLockedValue { $0.enabled = newValue } }
    }

    /// What was done so far.
    public var stats: Stats { state.withLockedValue { $0.stats } }

    private func count(_ kind: String) {
        state.withLockedValue { $0.stats.mutations[kind, default: 0] += 1 }
    }

    /// Draws a decision under the lock: nil when this answer passes unchanged.
    private func draw<T>(_ body: (inout SeededGenerator) -> T?) -> T? {
        state.withLockedValue { state in
            guard state.enabled else { return nil }
            guard Double(state.generator.next() >> 11) / Double(1 << 53) < rate else { return nil }
            return body(&state.generator)
        }
    }

    // MARK: - Structured

    /// Possibly makes a Metadata answer hostile.
    func mutate(_ response: inout MetadataResponse) {
        guard let kind = draw({ Int($0.next() % 8) }) else { return }
        var generator = state.withLockedValue { SeededGenerator(seed: $0.generator.next()) }
        switch kind {
        case 0 where !response.topics.isEmpty && !response.topics[0].partitions.isEmpty:
            let index = Int(generator.next() % UInt64(response.topics[0].partitions.count))
            response.topics[0].partitions[index].partitionIndex = [-1, Int32.min, Int32.max, Int32.max - 1][Int(generator.next() % 4)]
            count("metadata_partition_index")
        case 1 where !response.topics.isEmpty && response.topics[0].partitions.count > 1:
            response.topics[0].partitions[1].partitionIndex = response.topics[0].partitions[0].partitionIndex
            count("metadata_duplicate_partition")
        case 2 where !response.topics.isEmpty:
            // More partitions than any topic has: the producer must not size per-partition state from it.
            let template = response.topics[0].partitions.first
                ?? .init(errorCode: 0, partitionIndex: 0, leaderId: 1, leaderEpoch: 0, replicaNodes: [], isrNodes: [])
            let many = 100_001 + Int(generator.next() % 1000)
            response.topics[0].partitions = (0..<many).map { index in
                var partition = template
                partition.partitionIndex = Int32(index)
                return partition
            }
            count("metadata_many_partitions")
        case 3 where !response.brokers.isEmpty:
            response.brokers[0].port = [-1, 0, 65536, Int32.max, Int32.min][Int(generator.next() % 5)]
            count("metadata_broker_port")
        case 4 where !response.brokers.isEmpty:
            response.brokers[0].host = generator.next() % 2 == 0 ? "" : String(repeating: "h", count: 300)
            count("metadata_broker_host")
        case 5 where !response.topics.isEmpty && !response.topics[0].partitions.isEmpty:
            response.topics[0].partitions[0].leaderId = Int32(truncatingIfNeeded: generator.next())
            count("metadata_unknown_leader")
        case 6 where !response.topics.isEmpty:
            response.topics[0].errorCode = Int16(truncatingIfNeeded: generator.next())
            count("metadata_topic_error")
        default:
            response.topics.append(.init(name: "never-asked-\(generator.next() % 1000)", partitions: []))
            count("metadata_extra_topic")
        }
    }

    /// Possibly makes a Produce answer hostile.
    func mutate(_ response: inout ProduceResponse) {
        guard let kind = draw({ Int($0.next() % 5) }) else { return }
        var generator = state.withLockedValue { SeededGenerator(seed: $0.generator.next()) }
        guard !response.responses.isEmpty, !response.responses[0].partitionResponses.isEmpty else { return }
        switch kind {
        case 0:
            response.responses[0].partitionResponses[0].errorCode = [Int16.max, -5, 999, 120][Int(generator.next() % 4)]
            count("produce_unknown_error")
        case 1:
            response.responses[0].partitionResponses[0].errorCode = Int16(generator.next() % 121)
            count("produce_random_error")
        case 2:
            response.responses[0].partitionResponses[0].baseOffset = [Int64.min, -2, Int64.max][Int(generator.next() % 3)]
            count("produce_absurd_offset")
        case 3:
            response.responses[0].partitionResponses[0].index = [Int32.max, -1, 77][Int(generator.next() % 3)]
            count("produce_unasked_partition")
        default:
            response.responses[0].name = "never-asked"
            count("produce_unasked_topic")
        }
    }

    /// Possibly makes an InitProducerId answer hostile.
    func mutate(_ response: inout InitProducerIdResponse) {
        guard let kind = draw({ Int($0.next() % 3) }) else { return }
        var generator = state.withLockedValue { SeededGenerator(seed: $0.generator.next()) }
        switch kind {
        case 0:
            response.errorCode = Int16(generator.next() % 121)
            count("init_producer_id_error")
        case 1:
            response.producerId = [-1, Int64.max, Int64.min][Int(generator.next() % 3)]
            count("init_producer_id_id")
        default:
            response.producerEpoch = [-1, Int16.max, Int16.min][Int(generator.next() % 3)]
            count("init_producer_id_epoch")
        }
    }

    // MARK: - Bytes

    /// The frames to send for `frame` (a whole response frame, size prefix included): usually itself,
    /// sometimes a mutated copy, two frames, or none.
    func frames(for frame: ByteBuffer) -> [ByteBuffer] {
        state.withLockedValue { state in
            if state.enabled { state.stats.responses += 1 }
        }
        guard var bytes = frame.getBytes(at: frame.readerIndex, length: frame.readableBytes), bytes.count >= 8,
            let kind = draw({ Int($0.next() % 12) })
        else { return [frame] }
        var generator = state.withLockedValue { SeededGenerator(seed: $0.generator.next()) }
        func random(_ upper: Int) -> Int { Int(generator.next() % UInt64(max(upper, 1))) }
        func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }
        func withSize(_ body: [UInt8]) -> [UInt8] {
            let size = UInt32(body.count)
            return [UInt8(size >> 24), UInt8(truncatingIfNeeded: size >> 16), UInt8(truncatingIfNeeded: size >> 8), UInt8(truncatingIfNeeded: size)] + body
        }
        let body = Array(bytes[4...])
        switch kind {
        case 0:
            for _ in 0..<(1 + random(4)) {
                let position = 4 + random(bytes.count - 4)
                bytes[position] ^= UInt8(1 << random(8))
            }
            count("bytes_bit_flips")
            return [buffer(bytes)]
        case 1:
            count("bytes_truncated")
            return [buffer(withSize(Array(body.prefix(random(body.count)))))]
        case 2:
            // The size says more than follows: the producer waits, then its request times out.
            count("bytes_size_claims_more")
            let claimed = UInt32(body.count + 1 + random(1000))
            bytes[0] = UInt8(claimed >> 24)
            bytes[1] = UInt8(truncatingIfNeeded: claimed >> 16)
            bytes[2] = UInt8(truncatingIfNeeded: claimed >> 8)
            bytes[3] = UInt8(truncatingIfNeeded: claimed)
            return [buffer(bytes)]
        case 3:
            count("bytes_size_absurd")
            let absurd: [[UInt8]] = [[0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF], [0x80, 0, 0, 0], [0x06, 0x40, 0, 0]]
            bytes.replaceSubrange(0..<4, with: absurd[random(absurd.count)])
            return [buffer(bytes)]
        case 4:
            count("bytes_wrong_correlation_id")
            let id = generator.bytes(4)
            bytes.replaceSubrange(4..<8, with: id)
            return [buffer(bytes)]
        case 5 where bytes.count >= 12:
            count("bytes_absurd_int32")
            let values: [[UInt8]] = [[0x7F, 0xFF, 0xFF, 0xFF], [0xFF, 0xFF, 0xFF, 0xFF], [0x80, 0, 0, 0], [0, 0x10, 0, 0]]
            let position = 8 + random(bytes.count - 11)
            bytes.replaceSubrange(position..<(position + 4), with: values[random(values.count)])
            return [buffer(bytes)]
        case 6 where bytes.count >= 13:
            count("bytes_absurd_varint")
            let position = 8 + random(bytes.count - 12)
            bytes.replaceSubrange(position..<(position + 5), with: [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
            return [buffer(bytes)]
        case 7:
            count("bytes_garbage_body")
            return [buffer(withSize(Array(body.prefix(4)) + generator.bytes(random(body.count + 64))))]
        case 8:
            count("bytes_answered_twice")
            return [frame, frame]
        case 9:
            count("bytes_unsolicited_frame")
            var other = body
            other.replaceSubrange(0..<4, with: generator.bytes(4))
            return generator.next() % 2 == 0 ? [buffer(withSize(other)), frame] : [frame, buffer(withSize(other))]
        case 10:
            count("bytes_no_answer")
            return []
        default:
            count("bytes_flipped_flag_byte")
            let position = 8 + random(min(bytes.count - 8, 8))
            bytes[position] = ~bytes[position]
            return [buffer(bytes)]
        }
    }
}
