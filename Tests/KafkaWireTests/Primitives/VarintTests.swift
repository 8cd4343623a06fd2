import FerryTestSupport
import KafkaWire
import NIOCore
import Testing

@Suite("Varints")
struct VarintTests {
    @Test("zig-zag maps small magnitudes to small codes", arguments: [
        (Int64(0), UInt64(0)), (-1, 1), (1, 2), (-2, 3), (2, 4), (Int64.max, UInt64.max - 1), (Int64.min, UInt64.max),
    ])
    func zigZag(value: Int64, code: UInt64) {
        #expect(KafkaVarint.zigZag(value) == code)
        #expect(KafkaVarint.unZigZag(code) == value)
    }

    @Test("known encodings from the protobuf/Kafka definition")
    func knownEncodings() {
        var buffer = ByteBuffer()
        buffer.writeKafkaUnsignedVarint(300)
        #expect(Array(buffer.readableBytesView) == [0xAC, 0x02])
        buffer.clear()
        buffer.writeKafkaVarint(-1)
        #expect(Array(buffer.readableBytesView) == [0x01])
        buffer.clear()
        buffer.writeKafkaVarint(Int32.min)
        #expect(Array(buffer.readableBytesView) == [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        buffer.clear()
        buffer.writeKafkaVarlong(Int64.min)
        #expect(Array(buffer.readableBytesView) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
    }

    @Test("random values round-trip through every varint writer and reader, with the predicted size")
    func roundTrip() throws {
        var random = SeededGenerator(seed: 0x5EED_0001)
        for _ in 0..<20_000 {
            let u32: UInt32 = random.edgy()
            let i32: Int32 = random.edgy()
            let i64: Int64 = random.edgy()
            let u64: UInt64 = random.edgy()
            var buffer = ByteBuffer()
            let w1 = buffer.writeKafkaUnsignedVarint(u32)
            let w2 = buffer.writeKafkaVarint(i32)
            let w3 = buffer.writeKafkaVarlong(i64)
            let w4 = buffer.writeKafkaUnsignedVarlong(u64)
            #expect(w1 == KafkaVarint.size(unsigned: UInt64(u32)))
            #expect(w2 == KafkaVarint.size(signed: Int64(i32)))
            #expect(w3 == KafkaVarint.size(signed: i64))
            #expect(w4 == KafkaVarint.size(unsigned: u64))
            var reader = KafkaReader(buffer)
            #expect(try reader.unsignedVarint() == u32)
            #expect(try reader.varint() == i32)
            #expect(try reader.varlong() == i64)
            #expect(buffer.readKafkaUnsignedVarint() == u32)
            #expect(buffer.readKafkaVarint() == i32)
            #expect(buffer.readKafkaVarlong() == i64)
            #expect(buffer.readKafkaUnsignedVarlong() == u64)
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test("a varint that never ends is an overflow error carrying the bytes, and NIO-style reads do not move")
    func overflow() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(buffer.readKafkaUnsignedVarint() == nil)
        #expect(buffer.readerIndex == 0)
        var reader = KafkaReader(buffer, context: "Test")
        do {
            _ = try reader.unsignedVarint("field")
            Issue.record("expected an error")
        } catch let error as KafkaWireError {
            #expect(error.code == .varintOverflow)
            #expect(error.bytes == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
            #expect(error.context == "Test.field")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("a 5-byte varint above 32 bits is rejected where 32 bits are expected")
    func above32Bits() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        #expect(buffer.readKafkaUnsignedVarint() == nil)
        var reader = KafkaReader(buffer)
        #expect(throws: KafkaWireError.self) { try reader.unsignedVarint() }
    }

    @Test("truncated varints report truncation")
    func truncated() {
        var reader = KafkaReader(ByteBuffer(bytes: [0x80, 0x80]))
        #expect { try reader.varlong() } throws: { ($0 as? KafkaWireError)?.code == .truncated }
    }
}
