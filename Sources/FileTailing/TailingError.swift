#if canImport(Glibc)
import Glibc
#endif

/// An error of the tailing layer: a stable ``Code``, a message for people, the path or option concerned,
/// the `errno` of a failed system call, and the source location that raised it.
public struct TailingError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What went wrong, stable across releases (metrics and tests key on it).
    public enum Code: String, Hashable, Sendable {
        /// A configuration value is out of range or malformed; ``TailingError/option`` names it.
        case invalidConfiguration = "invalid_configuration"
        /// A glob pattern cannot be compiled.
        case invalidGlob = "invalid_glob"
        /// A system call failed (``TailingError/errno`` says which error).
        case systemCall = "system_call"
        /// The tailer was started twice, or used after it stopped.
        case invalidState = "invalid_state"
    }

    /// The kind of error.
    public var code: Code
    /// A sentence describing the problem.
    public var message: String
    /// The configuration option concerned (`inputs[0].include[1]`), if any.
    public var option: String?
    /// The file or pattern concerned, if any.
    public var path: String?
    /// The `errno` of a failed system call, if any.
    public var errno: Int32?
    /// Where the error was raised (`File.swift:123`).
    public var location: String

    /// Makes an error.
    public init(
        _ code: Code, _ message: String, option: String? = nil, path: String? = nil, errno: Int32? = nil,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        self.code = code
        self.message = message
        self.option = option
        self.path = path
        self.errno = errno
        self.location = "\(file):\(line)"
    }

    /// Code, message, option, path, errno and location, for logs.
    public var description: String {
        var text = "\(code.rawValue): \(message)"
        if let option { text += " (option \(option))" }
        if let path { text += " [\(path)]" }
        if let errno { text += " errno \(errno) (\(String(cString: strerror(errno))))" }
        return text + " at \(location)"
    }
}
