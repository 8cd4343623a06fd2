import NIOCore

/// Encoding helpers shared by the message encoders.
extension KafkaMessage {
    /// Runs `body` and, if it throws, moves the writer index back to where it was, so that a failed
    /// encode leaves `buffer` as it found it.
    static func encodeAtomically(into buffer: inout ByteBuffer, _ body: (inout ByteBuffer) throws -> Void) throws {
        let start = buffer.writerIndex
        do {
            try body(&buffer)
        } catch {
            buffer.moveWriterIndex(to: start)
            throw error
        }
    }

    /// Returns `value`, or throws ``KafkaWireError/Code-swift.struct/notRepresentable`` when it is `nil`
    /// in a version where `field` is not nullable.
    static func nonNull<T>(_ value: T?, _ field: String, version: Int16) throws -> T {
        guard let value else {
            throw notRepresentable(field, version: version, "null is not allowed in this version")
        }
        return value
    }

    /// Writes a tagged-field section made of the known fields that differ from their defaults (`known`)
    /// and the fields kept from decoding (`unknown`). In a version that is not flexible nothing is written,
    /// and unknown fields are an error since the version cannot carry them; so is a tag that appears twice.
    static func writeTaggedFields(
        _ known: [KafkaTaggedField], unknown: [KafkaTaggedField], into buffer: inout ByteBuffer,
        flexible: Bool, field: String, version: Int16
    ) throws {
        guard flexible else {
            if !unknown.isEmpty {
                throw notRepresentable(field, version: version, "tagged fields need a flexible version")
            }
            return
        }
        let all = known + unknown
        if all.count > 1 {
            var seen = Set<UInt32>()
            for tagged in all where !seen.insert(tagged.tag).inserted {
                throw notRepresentable(field, version: version, "tag \(tagged.tag) appears twice")
            }
        }
        buffer.writeKafkaTaggedFields(all)
    }
}
