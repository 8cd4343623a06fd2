import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// How `ferry run` writes its log lines (`log.format`, `--log-format`).
public enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=... level=info msg="reading file" file.path=/var/log/app.log`: one line per event, values quoted
    /// only when they must be.
    case logfmt
    /// `{"ts":"...","level":"info","msg":"reading file","file.path":"/var/log/app.log"}`.
    case json
}

/// One log event as one line of text: logfmt or JSON, with journald's `<N>` priority prefix when standard
/// error goes to the journal. Pure (the caller passes the time), so tests check the bytes. Nothing from a
/// file name or a broker can break a line: control characters are escaped in both formats.
public struct LogLineFormatter: Sendable {
    public var format: LogFormat
    /// Whether each line starts with `<N>` (syslog priority) for journald.
    public var journald: Bool

    public init(format: LogFormat, journald: Bool) {
        self.format = format
        self.journald = journald
    }

    /// syslog's priority for a level: what journald files the line under.
    public static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// The line for an event, newline included.
    public func line(timestamp: String, level: Logger.Level, message: String, metadata: Logger.Metadata) -> String {
        var line = journald ? "<\(Self.priority(level))>" : ""
        let keys = metadata.keys.sorted()
        switch format {
        case .logfmt:
            line += "ts=\(timestamp) level=\(level) msg=\(Self.logfmtValue(message))"
            for key in keys {
                line += " \(Self.logfmtKey(key))=\(Self.logfmtValue(Self.text(metadata[key]!)))"
            }
        case .json:
            line += "{\"ts\":\(Self.jsonString(timestamp)),\"level\":\"\(level)\",\"msg\":\(Self.jsonString(message))"
            for key in keys where key != "ts" && key != "level" && key != "msg" {
                line += ",\(Self.jsonString(key)):\(Self.jsonString(Self.text(metadata[key]!)))"
            }
            line += "}"
        }
        return line + "\n"
    }

    static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map { text($0) }.joined(separator: ",") + "]"
        case .dictionary(let pairs): "{" + pairs.keys.sorted().map { "\($0)=\(text(pairs[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// A key as logfmt allows: no space, `=` or `"` (replaced by `_`).
    static func logfmtKey(_ key: String) -> String {
        guard !key.isEmpty else { return "_" }
        return String(key.unicodeScalars.map { $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x20 ? "_" : Character($0) })
    }

    /// A value bare when it can be, else quoted with `\"`, `\\` and control characters escaped.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains {
            $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7F
        }
        guard needsQuotes else { return value }
        return "\"" + escaped(value) + "\""
    }

    /// A JSON string literal.
    static func jsonString(_ value: String) -> String { "\"" + escaped(value) + "\"" }

    private static func escaped(_ value: String) -> String {
        var result = ""
        result.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result
    }

    /// Whether standard error is the journal's stream: `JOURNAL_STREAM` (`device:inode`) names the
    /// descriptor systemd connected, and fd 2 is still that one (systemd.exec(5)).
    public static func standardErrorIsJournal(environment: [String: String]) -> Bool {
        guard let stream = environment["JOURNAL_STREAM"] else { return false }
        let parts = stream.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return UInt64(info.st_dev) == device && UInt64(info.st_ino) == inode
    }
}

/// swift-log's handler writing ``LogLineFormatter`` lines to standard error, one `write` per line (lines
/// from several threads never interleave).
public struct StandardErrorLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    private let formatter: LogLineFormatter

    public init(level: Logger.Level, formatter: LogLineFormatter) {
        logLevel = level
        self.formatter = formatter
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let explicit = event.metadata { merged.merge(explicit) { $1 } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        let text = formatter.line(
            timestamp: Self.timestamp(), level: event.level, message: event.message.description, metadata: merged)
        let bytes = Array(text.utf8)
        var offset = 0
        bytes.withUnsafeBytes { buffer in
            while offset < buffer.count {
                let written = write(2, buffer.baseAddress! + offset, buffer.count - offset)
                if written > 0 {
                    offset += written
                } else if written < 0 && errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }

    /// UTC, millisecond precision, RFC 3339: `2026-12-07T20:28:18.123Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func pad(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2)).\(pad(Int32(now.tv_nsec / 1_000_000), 3))Z"
    }
}
