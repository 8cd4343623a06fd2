/// A tagged field kept as raw bytes: flexible message versions may carry tags this code does not know,
/// and they are preserved so that a decode followed by an encode gives back the same bytes.
public struct KafkaTaggedField: Hashable, Sendable {
    /// The field's tag number.
    public var tag: UInt32
    /// The field's encoded value.
    public var data: [UInt8]

    /// Makes a tagged field.
    public init(tag: UInt32, data: [UInt8]) {
        self.tag = tag
        self.data = data
    }
}

import NIOCore

extension KafkaTaggedField {
    /// Makes a tagged field whose data is what `write` appends to an empty buffer.
    public init(tag: UInt32, _ write: (inout ByteBuffer) throws -> Void) rethrows {
        var buffer = ByteBuffer()
        try write(&buffer)
        self.init(tag: tag, data: Array(buffer.readableBytesView))
    }

    /// Decodes this field's data with `read`, which must consume it exactly.
    public func decode<T>(context: String, _ read: (inout KafkaReader) throws -> T) throws -> T {
        var reader = KafkaReader(ByteBuffer(bytes: data), context: "\(context)[tag \(tag)]")
        let value = try read(&reader)
        try reader.expectEnd()
        return value
    }
}
