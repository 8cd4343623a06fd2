import NIOCore

/// A Kafka request or response body, written from the JSON schemas in apache/kafka
/// (`clients/src/main/resources/common/message/`). Every message can be both encoded and decoded, in every
/// version of ``supportedVersions``: the producer encodes requests and decodes responses, while the fake
/// broker used for fault injection (and the round-trip tests) does the reverse.
public protocol KafkaMessage: Sendable, Hashable {
    /// The API this message belongs to.
    static var apiKey: KafkaApiKey { get }
    /// The versions this code encodes and decodes.
    static var supportedVersions: ClosedRange<Int16> { get }
    /// The first flexible version (compact strings and arrays, tagged fields), or `nil` if none.
    static var firstFlexibleVersion: Int16? { get }

    /// Appends the body (no header, no length prefix) in `version`.
    /// Throws ``KafkaWireError/Code-swift.struct/notRepresentable`` when a value cannot be carried in
    /// that version, ``KafkaWireError/Code-swift.struct/unsupportedVersion`` outside ``supportedVersions``.
    func encode(into buffer: inout ByteBuffer, version: Int16) throws

    /// Decodes the body in `version`; the reader must hold exactly the body.
    init(from reader: inout KafkaReader, version: Int16) throws
}

/// A request body; ``Response`` is the body the broker answers with.
public protocol KafkaRequest: KafkaMessage {
    /// The response body type of this API.
    associatedtype Response: KafkaResponse
}

/// A response body.
public protocol KafkaResponse: KafkaMessage {}

extension KafkaMessage {
    /// Whether `version` uses the flexible encoding.
    @inlinable
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Throws unless `version` is one this code implements.
    public static func checkVersion(_ version: Int16) throws {
        guard supportedVersions.contains(version) else {
            throw KafkaWireError(
                .unsupportedVersion,
                "\(apiKey.name) version \(version) is not implemented (supported: \(supportedVersions.lowerBound)-\(supportedVersions.upperBound))",
                context: String(describing: Self.self))
        }
    }

    /// Decodes a whole body from `buffer` and checks that nothing is left over.
    public static func decode(from buffer: ByteBuffer, version: Int16) throws -> Self {
        try checkVersion(version)
        var reader = KafkaReader(buffer, context: String(describing: Self.self))
        let message = try Self(from: &reader, version: version)
        try reader.expectEnd()
        return message
    }

    /// Encodes the body into a new buffer.
    public func encoded(version: Int16, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 64)
        try encode(into: &buffer, version: version)
        return buffer
    }

    /// An error for a value that `version` cannot carry.
    public static func notRepresentable(_ field: String, version: Int16, _ why: String) -> KafkaWireError {
        KafkaWireError(
            .notRepresentable, "\(field) cannot be encoded in version \(version): \(why)",
            context: "\(Self.self).\(field)")
    }
}

extension KafkaRequest {
    /// The request header version this request uses in `version` (2 when flexible, else 1).
    public static func requestHeaderVersion(_ version: Int16) -> Int16 {
        isFlexible(version) ? 2 : 1
    }
}

extension KafkaResponse {
    /// The response header version this response uses in `version` (1 when flexible, else 0).
    /// ApiVersions always answers with header v0, so that a client can read its error whatever it asked.
    public static func responseHeaderVersion(_ version: Int16) -> Int16 {
        if apiKey == .apiVersions { return 0 }
        return isFlexible(version) ? 1 : 0
    }
}
