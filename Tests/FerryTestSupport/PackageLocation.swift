import Foundation

/// Where the package and its test tools live, found from this source file's path.
public enum PackageLocation {
    /// The package root (the directory holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The Python of the project's virtualenv (`.venv`, made by `make setup`), or `FERRY_PYTHON`.
    public static var python: String {
        ProcessInfo.processInfo.environment["FERRY_PYTHON"] ?? "\(root)/.venv/bin/python"
    }

    /// A script under `scripts/`.
    public static func script(_ name: String) -> String { "\(root)/scripts/\(name)" }

    /// The directory holding the built executables (`ferry`, `ferry-testkit`, `ferry-bench`): the directory
    /// of the running test binary (on Linux there is no .xctest bundle to ask), or `FERRY_PRODUCTS_DIR`.
    public static var productsDirectory: String {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_PRODUCTS_DIR"] { return explicit }
        if let executable = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return (executable as NSString).deletingLastPathComponent
        }
        return "\(root)/.build/debug"
    }

    /// The path of a built executable product.
    public static func product(_ name: String) -> String {
        "\(productsDirectory)/\(name)"
    }
}
