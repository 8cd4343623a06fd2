import FerryTestSupport
import KafkaWire
import NIOCore
import Testing

/// Random values of every primitive, written and read back in both the classic and the compact forms.
@Suite("Primitive round trips")
struct PrimitiveRoundTripTests {
    /// One primitive value, to write and read back.
    enum Value: Equatable {
        case int8(Int8), int16(Int16), int32(Int32), int64(Int64), uint16(UInt16), uint32(UInt32)
        case bool(Bool), float64(Double)
        case string(String, compact: Bool)
        case nullableString(String?, compact: Bool)
        case bytes([UInt8], compact: Bool)
        case nullableBytes([UInt8]?, compact: Bool)
        case int32Array([Int32]?, compact: Bool)
        case tagged([KafkaTaggedField])
        case uuid(KafkaUUID)

        static func random(_ random: inout SeededGenerator) -> Value {
            let compact = Bool.random(using: &random)
            switch Int.random(in: 0..<15, using: &random) {
            case 0: return .int8(random.edgy())
            case 1: return .int16(random.edgy())
            case 2: return .int32(random.edgy())
            case 3: return .int64(random.edgy())
            case 4: return .uint16(random.edgy())
            case 5: return .uint32(random.edgy())
            case 6: return .bool(Bool.random(using: &random))
            case 7: return .float64(Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF))
            case 8: return .string(random.string(maximumLength: 40), compact: compact)
            case 9: return .nullableString(Bool.random(using: &random) ? nil : random.string(maximumLength: 40), compact: compact)
            case 10: return .bytes(random.bytes(Int.random(in: 0..<300, using: &random)), compact: compact)
            case 11:
                return .nullableBytes(
                    Bool.random(using: &random) ? nil : random.bytes(Int.random(in: 0..<300, using: &random)), compact: compact)
            case 12:
                let count = Int.random(in: 0..<6, using: &random)
                let elements = (0..<count).map { _ in random.edgy(Int32.self) }
                return .int32Array(Int.random(in: 0..<4, using: &random) == 0 ? nil : elements, compact: compact)
            case 13:
                var tag: UInt32 = 0
                let fields = (0..<Int.random(in: 0..<4, using: &random)).map { _ -> KafkaTaggedField in
                    tag += UInt32.random(in: 1...200, using: &random)
                    return KafkaTaggedField(tag: tag, data: random.bytes(Int.random(in: 0..<20, using: &random)))
                }
                return .tagged(fields)
            default:
                return .uuid(KafkaUUID(mostSignificantBits: random.next(), leastSignificantBits: random.next()))
            }
        }

        func write(_ buffer: inout ByteBuffer) -> Int {
            switch self {
            case .int8(let v): buffer.writeInteger(v)
            case .int16(let v): buffer.writeInteger(v)
            case .int32(let v): buffer.writeInteger(v)
            case .int64(let v): buffer.writeInteger(v)
            case .uint16(let v): buffer.writeInteger(v)
            case .uint32(let v): buffer.writeInteger(v)
            case .bool(let v): buffer.writeKafkaBool(v)
            case .float64(let v): buffer.writeInteger(v.bitPattern)
            case .string(let v, let compact): buffer.writeKafkaString(v, compact: compact)
            case .nullableString(let v, let compact): buffer.writeKafkaNullableString(v, compact: compact)
            case .bytes(let v, let compact): buffer.writeKafkaBytes(v, compact: compact)
            case .nullableBytes(let v, let compact): buffer.writeKafkaNullableBytes(v, compact: compact)
            case .int32Array(let v, let compact):
                buffer.writeKafkaNullableArray(v, compact: compact) { buffer, element in buffer.writeInteger(element) }
            case .tagged(let v): buffer.writeKafkaTaggedFields(v)
            case .uuid(let v): buffer.writeKafkaUUID(v)
            }
        }

        func read(_ reader: inout KafkaReader) throws -> Value {
            switch self {
            case .int8: .int8(try reader.int8())
            case .int16: .int16(try reader.int16())
            case .int32: .int32(try reader.int32())
            case .int64: .int64(try reader.int64())
            case .uint16: .uint16(try reader.uint16())
            case .uint32: .uint32(try reader.uint32())
            case .bool: .bool(try reader.bool())
            case .float64: .float64(try reader.float64())
            case .string(_, let compact): .string(try reader.string(compact: compact), compact: compact)
            case .nullableString(_, let compact): .nullableString(try reader.nullableString(compact: compact), compact: compact)
            case .bytes(_, let compact): .bytes(Array(try reader.bytes(compact: compact).readableBytesView), compact: compact)
            case .nullableBytes(_, let compact):
                .nullableBytes(try reader.nullableBytes(compact: compact).map { Array($0.readableBytesView) }, compact: compact)
            case .int32Array(_, let compact):
                .int32Array(try reader.nullableArray(compact: compact) { try $0.int32() }, compact: compact)
            case .tagged: .tagged(try reader.taggedFields())
            case .uuid: .uuid(try reader.uuid())
            }
        }
    }

    @Test("20,000 random sequences of primitives round-trip, and writers report the bytes they wrote")
    func randomSequences() throws {
        var random = SeededGenerator(seed: 0x5EED_0002)
        for round in 0..<20_000 {
            let values = (0..<Int.random(in: 1...6, using: &random)).map { _ in Value.random(&random) }
            var buffer = ByteBuffer()
            var written = 0
            for value in values { written += value.write(&buffer) }
            #expect(written == buffer.readableBytes, "round \(round)")
            var reader = KafkaReader(buffer)
            for value in values {
                let read = try value.read(&reader)
                #expect(read == value, "round \(round)")
            }
            #expect(reader.remaining == 0, "round \(round)")
        }
    }

    @Test("nulls use -1 classic and 0 compact lengths")
    func nullEncodings() {
        var buffer = ByteBuffer()
        buffer.writeKafkaNullableString(nil)
        buffer.writeKafkaNullableString(nil, compact: true)
        buffer.writeKafkaNullableBytes(nil as [UInt8]?)
        buffer.writeKafkaNullableBytes(nil as ByteBuffer?, compact: true)
        buffer.writeKafkaArrayLength(nil)
        #expect(Array(buffer.readableBytesView) == [0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    @Test("a hostile array count fails at once instead of allocating")
    func hostileArrayCount() {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32.max)
        buffer.writeInteger(Int32(7))
        var reader = KafkaReader(buffer, context: "Hostile")
        #expect { try reader.array("items") { try $0.int32() } } throws: { error in
            guard let error = error as? KafkaWireError else { return false }
            return error.code == .invalidLength && error.context == "Hostile.items" && error.bytes.count == 8
        }
    }

    @Test("strings must be UTF-8; lengths beyond the input are truncation")
    func stringErrors() {
        var reader = KafkaReader(ByteBuffer(bytes: [0x00, 0x02, 0xC3, 0x28]))
        #expect { try reader.string() } throws: { ($0 as? KafkaWireError)?.code == .invalidString }
        var short = KafkaReader(ByteBuffer(bytes: [0x00, 0x09, 0x41]))
        #expect { try short.string() } throws: { ($0 as? KafkaWireError)?.code == .truncated }
        var negative = KafkaReader(ByteBuffer(bytes: [0xFF, 0xFE]))
        #expect { try negative.nullableString() } throws: { ($0 as? KafkaWireError)?.code == .invalidLength }
    }

    @Test("tagged fields must come in increasing tag order")
    func taggedOrder() {
        var buffer = ByteBuffer()
        buffer.writeKafkaUnsignedVarint(2)
        buffer.writeBytes([5, 0, 3, 0])
        var reader = KafkaReader(buffer)
        #expect { try reader.taggedFields() } throws: { ($0 as? KafkaWireError)?.code == .invalidLength }
    }

    @Test("UUIDs print in canonical form")
    func uuidDescription() {
        let uuid = KafkaUUID(mostSignificantBits: 0x0123_4567_89AB_CDEF, leastSignificantBits: 0x0011_2233_4455_6677)
        #expect(uuid.description == "01234567-89ab-cdef-0011-223344556677")
    }
}
