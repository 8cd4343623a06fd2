import KafkaWire
import KafkaWireSamples
import NIOCore
import Testing

/// Every strict prefix of a valid body fails to decode with a `KafkaWireError` that carries exactly the
/// bytes it was given, and a byte too many is refused as well: the decoders read each field in order and
/// never past the input. Requests are included (the fake broker decodes them).
@Suite("Message truncation")
struct MessageTruncationTests {
    @Test("responses: every prefix of valid bodies, every version")
    func responses() {
        Self.check(ApiVersionsResponse.self, seed: 1)
        Self.check(MetadataResponse.self, seed: 2)
        Self.check(ProduceResponse.self, seed: 3)
        Self.check(InitProducerIdResponse.self, seed: 4)
        Self.check(SaslHandshakeResponse.self, seed: 5)
        Self.check(SaslAuthenticateResponse.self, seed: 6)
        Self.check(CreateTopicsResponse.self, seed: 7)
        Self.check(ListOffsetsResponse.self, seed: 8)
        Self.check(FetchResponse.self, seed: 9)
    }

    @Test("requests: every prefix of valid bodies, every version")
    func requests() {
        Self.check(ApiVersionsRequest.self, seed: 11)
        Self.check(MetadataRequest.self, seed: 12)
        Self.check(ProduceRequest.self, seed: 13)
        Self.check(InitProducerIdRequest.self, seed: 14)
        Self.check(SaslHandshakeRequest.self, seed: 15)
        Self.check(SaslAuthenticateRequest.self, seed: 16)
        Self.check(CreateTopicsRequest.self, seed: 17)
        Self.check(ListOffsetsRequest.self, seed: 18)
        Self.check(FetchRequest.self, seed: 19)
    }

    static func check<Message: KafkaSampleable>(_ type: Message.Type, seed: UInt64) {
        var sampler = KafkaSampler(seed: seed, maximumArrayCount: 2, maximumStringLength: 4, maximumBytesLength: 8)
        for version in Message.supportedVersions {
            for sample in 0..<3 {
                let label = "\(Message.self) v\(version) seed \(seed) sample \(sample)"
                guard let encoded = try? Message.sample(version: version, using: &sampler).encoded(version: version) else {
                    Issue.record("\(label): a sample failed to encode")
                    continue
                }
                let bytes = Array(encoded.readableBytesView)
                for length in 0..<bytes.count {
                    let prefix = Array(bytes[0..<length])
                    do {
                        _ = try Message.decode(from: ByteBuffer(bytes: prefix), version: version)
                        Issue.record("\(label): a prefix of \(length) of \(bytes.count) bytes decoded")
                    } catch let error as KafkaWireError {
                        #expect(error.bytes == prefix, "\(label): prefix \(length): \(error)")
                        #expect(error.offset <= length, "\(label): prefix \(length): \(error)")
                    } catch {
                        Issue.record("\(label): prefix \(length): not a KafkaWireError: \(error)")
                    }
                }
                #expect(throws: KafkaWireError.self, "\(label): a trailing byte") {
                    try Message.decode(from: ByteBuffer(bytes: bytes + [0]), version: version)
                }
            }
        }
    }
}
