import NIOCore

/// Reading helpers shared by the message decoders: arrays whose element count is checked against a
/// lower bound of each element's size before anything is allocated, and tagged-field decoding whose
/// errors still carry the whole input (``KafkaTaggedField/decode(context:_:)`` alone would report only
/// the field's own bytes).
extension KafkaReader {
    /// Reads an array whose elements each take at least `minimumElementSize` bytes; null is an error.
    mutating func boundedArray<Element>(
        _ field: String, compact: Bool, minimumElementSize: Int, _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element] {
        guard let elements = try boundedNullableArray(field, compact: compact, minimumElementSize: minimumElementSize, element)
        else {
            throw error(.invalidLength, "null where an array is required", field: field)
        }
        return elements
    }

    /// Reads a nullable array whose elements each take at least `minimumElementSize` bytes.
    ///
    /// A count that the remaining bytes cannot hold is an error before any allocation, and the capacity
    /// reserved up front is capped: the array then only grows as elements are actually decoded, so the
    /// memory used stays proportional to the input whatever the declared count.
    mutating func boundedNullableArray<Element>(
        _ field: String, compact: Bool, minimumElementSize: Int, _ element: (inout KafkaReader) throws -> Element
    ) throws -> [Element]? {
        guard let count = try arrayCount(field, compact: compact) else { return nil }
        let (needed, overflow) = count.multipliedReportingOverflow(by: max(1, minimumElementSize))
        guard !overflow, needed <= remaining else {
            throw error(
                .invalidLength,
                "array of \(count) elements needs at least \(count) x \(minimumElementSize) bytes, only \(remaining) left",
                field: field)
        }
        var elements: [Element] = []
        elements.reserveCapacity(Swift.min(count, 64))
        for _ in 0..<count {
            elements.append(try element(&self))
        }
        return elements
    }

    /// Reads an `[]int32` array.
    mutating func int32Array(_ field: String, compact: Bool) throws -> [Int32] {
        try boundedArray(field, compact: compact, minimumElementSize: 4) { try $0.int32(field) }
    }

    /// Reads a `[]string` array.
    mutating func stringArray(_ field: String, compact: Bool) throws -> [String] {
        try boundedArray(field, compact: compact, minimumElementSize: compact ? 1 : 2) {
            try $0.string(field, compact: compact)
        }
    }

    /// Decodes a known tagged field with `read`, which must consume its bytes exactly. A failure is
    /// reported as an error of this reader, so that it carries the whole input and not only the field.
    func decodeTagged<T>(_ tagged: KafkaTaggedField, _ field: String, _ read: (inout KafkaReader) throws -> T) throws -> T {
        do {
            return try tagged.decode(context: "\(context).\(field)", read)
        } catch let inner as KafkaWireError {
            var outer = error(
                inner.code, "tagged field \(tagged.tag) (\(tagged.data.count) bytes): \(inner.message) at byte \(inner.offset)",
                field: field)
            outer.underlying = inner.description
            throw outer
        }
    }
}
