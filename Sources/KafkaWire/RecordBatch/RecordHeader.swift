/// A record header: a string key and a nullable byte value.
public struct RecordHeader: Hashable, Sendable {
    /// The header's key (UTF-8).
    public var key: String
    /// The header's value; `nil` is encoded as length -1.
    public var value: [UInt8]?

    /// Makes a header.
    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    /// Makes a header with a UTF-8 string value.
    public init(key: String, string: String) {
        self.init(key: key, value: Array(string.utf8))
    }

    /// The header's encoded size inside a record.
    public var encodedSize: Int {
        let keyLength = key.utf8.count
        let valueLength = value?.count ?? -1
        return KafkaVarint.size(signed: Int64(keyLength)) + keyLength + KafkaVarint.size(signed: Int64(valueLength))
            + max(valueLength, 0)
    }
}
