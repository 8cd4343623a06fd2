#if canImport(Glibc)
import Glibc
#endif

/// The process environment as a dictionary: for `${VAR}` interpolation and systemd's `NOTIFY_SOCKET`.
public enum ProcessEnvironment {
    /// Every `NAME=value` of `environ` (the first of a repeated name wins, as `getenv` does).
    public static func current() -> [String: String] {
        var result: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "="), result[String(text[..<equals])] == nil {
                result[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            pointer += 1
        }
        return result
    }
}
