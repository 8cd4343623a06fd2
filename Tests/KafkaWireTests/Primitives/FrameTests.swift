import KafkaWire
import NIOCore
import Testing

@Suite("Framing")
struct FrameTests {
    @Test("a frame declaring 2 GiB is rejected before any body arrives")
    func hugeFrame() {
        let decoder = KafkaFrameDecoder(maximumFrameSize: 1 << 20)
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32.max)
        #expect { try decoder.decodeFrame(from: &buffer) } throws: { ($0 as? KafkaWireError)?.code == .frameTooLarge }
        var negative = ByteBuffer()
        negative.writeInteger(Int32(-5))
        #expect { try decoder.decodeFrame(from: &negative) } throws: { ($0 as? KafkaWireError)?.code == .invalidLength }
    }

    @Test("frames split across reads come out whole, in order")
    func splitFrames() throws {
        let decoder = KafkaFrameDecoder()
        var stream = ByteBuffer()
        for size in [0, 1, 300, 5] {
            stream.writeInteger(Int32(size))
            stream.writeRepeatingByte(UInt8(size % 251), count: size)
        }
        var pending = ByteBuffer()
        var frames: [ByteBuffer] = []
        while stream.readableBytes > 0 {
            var piece = stream.readSlice(length: min(7, stream.readableBytes))!
            pending.writeBuffer(&piece)
            while let frame = try decoder.decodeFrame(from: &pending) { frames.append(frame) }
        }
        #expect(frames.map(\.readableBytes) == [0, 1, 300, 5])
        #expect(frames[2].readableBytesView.allSatisfy { $0 == UInt8(300 % 251) })
    }

    @Test("request frame: size prefix, header v1 for a non-flexible version, v2 for a flexible one")
    func requestFrames() throws {
        var buffer = ByteBuffer()
        try KafkaFrame.encodeRequest(ApiVersionsRequest(), version: 0, correlationId: 7, clientId: "ferry", into: &buffer)
        #expect(Array(buffer.readableBytesView) == [
            0, 0, 0, 15,  // size
            0, 18, 0, 0,  // api key 18, version 0
            0, 0, 0, 7,  // correlation id
            0, 5, 0x66, 0x65, 0x72, 0x72, 0x79,  // client id "ferry"
        ])
        buffer.clear()
        try KafkaFrame.encodeRequest(
            ApiVersionsRequest(clientSoftwareName: "ferry", clientSoftwareVersion: "1"), version: 3, correlationId: 1,
            clientId: nil, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [
            0, 0, 0, 20,
            0, 18, 0, 3,
            0, 0, 0, 1,
            0xFF, 0xFF,  // null client id (never compact)
            0,  // header tagged fields
            6, 0x66, 0x65, 0x72, 0x72, 0x79,  // compact "ferry"
            2, 0x31,  // compact "1"
            0,  // body tagged fields
        ])
    }

    @Test("ApiVersions responses always use header v0, even in flexible versions")
    func apiVersionsHeader() throws {
        let response = ApiVersionsResponse(apiKeys: [.init(apiKey: .produce, minVersion: 3, maxVersion: 11)])
        var buffer = ByteBuffer()
        try KafkaFrame.encodeResponse(response, version: 3, correlationId: 42, into: &buffer)
        let frame = try #require(try KafkaFrameDecoder().decodeFrame(from: &buffer))
        #expect(KafkaFrame.peekCorrelationId(frame) == 42)
        let (header, body) = try KafkaFrame.decodeResponse(ApiVersionsResponse.self, version: 3, frame: frame)
        #expect(header.correlationId == 42)
        #expect(body == response)
        #expect(body.versions(of: .produce) == 3...11)
        #expect(body.versions(of: .fetch) == nil)
    }
}
