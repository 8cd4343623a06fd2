/// A broker's host and port, as listed in `bootstrap.servers` or advertised in metadata.
public struct BrokerAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host name or IP address (IPv6 without brackets).
    public var host: String
    /// TCP port.
    public var port: Int

    /// Makes an address.
    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port`, with an optional `scheme://` prefix (`PLAINTEXT://`, `tcp://`).
    public init?(parsing text: String) {
        var rest = Substring(text.trimmingCharacters(in: " \t"))
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = String(rest[rest.index(after: rest.startIndex)..<close])
            let after = rest[rest.index(after: close)...]
            guard after.hasPrefix(":"), let port = Int(after.dropFirst()) else { return nil }
            self.port = port
        } else {
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]) else { return nil }
            host = String(rest[..<colon])
            self.port = port
        }
        guard !host.isEmpty, (1...65535).contains(port) else { return nil }
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

extension StringProtocol {
    func trimmingCharacters(in set: String) -> String {
        let characters = Set(set)
        var view = Substring(self)
        while let first = view.first, characters.contains(first) { view.removeFirst() }
        while let last = view.last, characters.contains(last) { view.removeLast() }
        return String(view)
    }
}
