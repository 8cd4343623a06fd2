/// A reproducible corpus of log lines (~220 bytes, access-log shaped, with varied fields so that
/// compression ratios are realistic), generated from a fixed seed: the same bytes on every machine.
struct LogCorpus {
    /// All lines, each followed by `\n`.
    let bytes: [UInt8]
    /// Start offset of each line in ``bytes``.
    let starts: [Int]
    /// Length of each line, without its `\n`.
    let lengths: [Int]

    var count: Int { starts.count }
    var totalLineBytes: Int { lengths.reduce(0, +) }

    init(lines: Int, seed: UInt64 = 20_261_124) {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
        let paths = ["/api/v1/items", "/api/v1/users", "/static/app.js", "/healthz", "/api/v2/orders", "/login", "/search"]
        let agents = [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0",
            "curl/8.5.0", "Go-http-client/1.1",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15",
        ]
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines * 230)
        var starts: [Int] = []
        var lengths: [Int] = []
        starts.reserveCapacity(lines)
        lengths.reserveCapacity(lines)
        var second = 1_732_400_000
        for index in 0..<lines {
            if next() % 8 == 0 { second += 1 }
            let r = next()
            let ip = "10.\(r % 256).\((r >> 8) % 256).\((r >> 16) % 256)"
            let method = methods[Int((r >> 24) % UInt64(methods.count))]
            let path = paths[Int((r >> 28) % UInt64(paths.count))]
            let status = [200, 200, 200, 200, 201, 204, 301, 404, 500][Int((r >> 32) % 9)]
            let size = (r >> 36) % 50_000
            let agent = agents[Int((r >> 52) % UInt64(agents.count))]
            let request = String(next() % 1_000_000_000, radix: 16)
            let trace = String(next(), radix: 16) + String(next() & 0xFFFF_FFFF, radix: 16)
            let referer = (r >> 40) % 3 == 0 ? "-" : "https://shop.example.com\(paths[Int((r >> 44) % UInt64(paths.count))])"
            let line = "\(ip) - - [\(second)] \"\(method) \(path)/\(index % 10_007)?q=\(request) HTTP/1.1\" \(status) \(size) \"\(referer)\" \"\(agent)\" rt=0.\(r % 1000) upstream=10.0.\((r >> 12) % 16).\((r >> 20) % 64):8080 trace=\(trace)"
            starts.append(bytes.count)
            lengths.append(line.utf8.count)
            bytes.append(contentsOf: line.utf8)
            bytes.append(0x0A)
        }
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension LogCorpus {
    /// `ferry-bench corpus --lines N --out FILE [--seed S]`: writes the corpus, one line per `\n`.
    static func write(_ arguments: [String]) throws {
        var lines = 1_000_000
        var path: String? = nil
        var seed: UInt64 = 20_261_124
        var index = 0
        while index + 1 < arguments.count {
            switch arguments[index] {
            case "--lines": lines = Int(arguments[index + 1]) ?? lines
            case "--out": path = arguments[index + 1]
            case "--seed": seed = UInt64(arguments[index + 1]) ?? seed
            default: throw BenchmarkError("unknown option \(arguments[index])")
            }
            index += 2
        }
        guard let path else { throw BenchmarkError("--out FILE is required") }
        let corpus = LogCorpus(lines: lines, seed: seed)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw BenchmarkError("\(path): errno \(errno)") }
        defer { close(fd) }
        try corpus.bytes.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let count = Glibc.write(fd, bytes.baseAddress! + written, bytes.count - written)
                guard count > 0 else { throw BenchmarkError("\(path): write failed, errno \(errno)") }
                written += count
            }
        }
        print("wrote \(lines) lines, \(corpus.bytes.count) bytes to \(path)")
    }
}
