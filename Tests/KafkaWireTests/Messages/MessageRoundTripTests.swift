import KafkaWire
import KafkaWireSamples
import NIOCore
import Testing

/// Random messages valid in each version (``KafkaSampleable``) survive encode then decode unchanged,
/// the decoder consumes exactly the bytes the encoder wrote, a second encode gives the same bytes, and
/// whole frames (header included) round-trip too.
@Suite("Message round trips")
struct MessageRoundTripTests {
    /// Cases per message type and version; 148 (type, version) pairs make about 17,800 cases.
    static let casesPerVersion = 120

    @Test("ApiVersions request and response, every version")
    func apiVersions() {
        Self.check(ApiVersionsRequest.self, seed: 0xA1)
        Self.check(ApiVersionsResponse.self, seed: 0xA2)
    }

    @Test("Metadata request and response, every version")
    func metadata() {
        Self.check(MetadataRequest.self, seed: 0xB1)
        Self.check(MetadataResponse.self, seed: 0xB2)
    }

    @Test("Produce request and response, every version")
    func produce() {
        Self.check(ProduceRequest.self, seed: 0xC1)
        Self.check(ProduceResponse.self, seed: 0xC2)
    }

    @Test("InitProducerId request and response, every version")
    func initProducerId() {
        Self.check(InitProducerIdRequest.self, seed: 0xD1)
        Self.check(InitProducerIdResponse.self, seed: 0xD2)
    }

    @Test("SaslHandshake and SaslAuthenticate, every version")
    func sasl() {
        Self.check(SaslHandshakeRequest.self, seed: 0xE1)
        Self.check(SaslHandshakeResponse.self, seed: 0xE2)
        Self.check(SaslAuthenticateRequest.self, seed: 0xE3)
        Self.check(SaslAuthenticateResponse.self, seed: 0xE4)
    }

    @Test("CreateTopics request and response, every version")
    func createTopics() {
        Self.check(CreateTopicsRequest.self, seed: 0xF1)
        Self.check(CreateTopicsResponse.self, seed: 0xF2)
    }

    @Test("ListOffsets request and response, every version")
    func listOffsets() {
        Self.check(ListOffsetsRequest.self, seed: 0x101)
        Self.check(ListOffsetsResponse.self, seed: 0x102)
    }

    @Test("Fetch request and response, every version")
    func fetch() {
        Self.check(FetchRequest.self, seed: 0x111)
        Self.check(FetchResponse.self, seed: 0x112)
    }

    @Test("request frames round-trip through the broker-side header decoder")
    func requestFrames() throws {
        try Self.checkRequestFrames(MetadataRequest.self, seed: 0x201)
        try Self.checkRequestFrames(ProduceRequest.self, seed: 0x202)
        try Self.checkRequestFrames(InitProducerIdRequest.self, seed: 0x203)
        try Self.checkRequestFrames(SaslAuthenticateRequest.self, seed: 0x204)
        try Self.checkRequestFrames(CreateTopicsRequest.self, seed: 0x205)
        try Self.checkRequestFrames(ListOffsetsRequest.self, seed: 0x206)
        try Self.checkRequestFrames(FetchRequest.self, seed: 0x207)
    }

    @Test("response frames round-trip through KafkaFrame.decodeResponse")
    func responseFrames() throws {
        try Self.checkResponseFrames(MetadataResponse.self, seed: 0x301)
        try Self.checkResponseFrames(ProduceResponse.self, seed: 0x302)
        try Self.checkResponseFrames(ApiVersionsResponse.self, seed: 0x303)
        try Self.checkResponseFrames(CreateTopicsResponse.self, seed: 0x304)
        try Self.checkResponseFrames(FetchResponse.self, seed: 0x305)
    }

    /// Runs ``casesPerVersion`` random cases of `type` in each supported version. A failure names the
    /// type, version, seed and case, which replay it: `KafkaSampler(seed:)` then `sample` `case + 1` times.
    static func check<Message: KafkaSampleable>(_ type: Message.Type, seed: UInt64) {
        for version in Message.supportedVersions {
            var sampler = KafkaSampler(seed: seed &* 1_000 &+ UInt64(version))
            for index in 0..<casesPerVersion {
                let message = Message.sample(version: version, using: &sampler)
                let label = "\(Message.self) v\(version) seed \(seed &* 1_000 &+ UInt64(version)) case \(index)"
                do {
                    let encoded = try message.encoded(version: version)
                    var reader = KafkaReader(encoded, context: "\(Message.self)")
                    let decoded = try Message(from: &reader, version: version)
                    #expect(decoded == message, "\(label): decoded differs")
                    #expect(reader.position == encoded.readableBytes, "\(label): encoded \(encoded.readableBytes) bytes, consumed \(reader.position)")
                    #expect(reader.remaining == 0, "\(label): \(reader.remaining) bytes left over")
                    let again = try decoded.encoded(version: version)
                    #expect(again == encoded, "\(label): second encoding differs")
                } catch {
                    Issue.record("\(label): \(error)")
                }
            }
        }
    }

    static func checkRequestFrames<Request: KafkaRequest & KafkaSampleable>(_ type: Request.Type, seed: UInt64) throws {
        var sampler = KafkaSampler(seed: seed)
        for version in Request.supportedVersions {
            for index in 0..<10 {
                let request = Request.sample(version: version, using: &sampler)
                var buffer = ByteBuffer()
                try KafkaFrame.encodeRequest(request, version: version, correlationId: Int32(index), clientId: "ferry", into: &buffer)
                let size = buffer.readInteger(as: Int32.self)
                #expect(size.map(Int.init) == buffer.readableBytes)
                var (header, body) = try KafkaFrame.decodeRequestHeader(frame: buffer) { key, version in
                    key == Request.apiKey && Request.isFlexible(version)
                }
                #expect(header.apiKey == Request.apiKey)
                #expect(header.apiVersion == version)
                #expect(header.correlationId == Int32(index))
                #expect(header.clientId == "ferry")
                let decoded = try Request(from: &body, version: version)
                try body.expectEnd()
                #expect(decoded == request, "\(Request.self) v\(version) frame \(index) (seed \(seed))")
            }
        }
    }

    static func checkResponseFrames<Response: KafkaResponse & KafkaSampleable>(_ type: Response.Type, seed: UInt64) throws {
        var sampler = KafkaSampler(seed: seed)
        let decoder = KafkaFrameDecoder()
        for version in Response.supportedVersions {
            for index in 0..<10 {
                let response = Response.sample(version: version, using: &sampler)
                var stream = ByteBuffer()
                try KafkaFrame.encodeResponse(response, version: version, correlationId: Int32(index), into: &stream)
                let decodedFrame = try decoder.decodeFrame(from: &stream)
                let frame = try #require(decodedFrame)
                #expect(stream.readableBytes == 0)
                #expect(KafkaFrame.peekCorrelationId(frame) == Int32(index))
                let (header, body) = try KafkaFrame.decodeResponse(Response.self, version: version, frame: frame)
                #expect(header.correlationId == Int32(index))
                #expect(body == response, "\(Response.self) v\(version) frame \(index) (seed \(seed))")
            }
        }
    }
}
