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

    /// The directory holding the built executables (`ferry`, `ferry-bench`) next to the test bundle.
    public static var productsDirectory: String {
        if let explicit = ProcessInfo.processInfo.environment["FERRY_PRODUCTS_DIR"] { return explicit }
        let bundle = Bundle.allBundles.first { $0.bundlePath.hasSuffix(".xctest") }
        if let bundle { return (bundle.bundlePath as NSString).deletingLastPathComponent }
        return "\(root)/.build/debug"
    }
}
