import Foundation

/// A fresh directory under the system temporary directory, removed by ``remove()``.
/// Tests create one each and remove it in a `defer`, so runs never share state.
public struct TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Creates `…/ferry-<prefix>-<random>`.
    public init(_ prefix: String = "test") throws {
        let base = ProcessInfo.processInfo.environment["FERRY_TEST_TMPDIR"] ?? NSTemporaryDirectory()
        let path = (base as NSString).appendingPathComponent("ferry-\(prefix)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        self.path = path
    }

    /// The path of `name` inside the directory.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Removes the directory and everything in it (restoring permissions a test may have taken away).
    public func remove() {
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let name as String in walker {
                chmod(file(name), 0o700)
            }
        }
        chmod(path, 0o700)
        try? FileManager.default.removeItem(atPath: path)
    }
}
