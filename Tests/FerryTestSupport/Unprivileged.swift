import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs `ferry` as deployments do: never as root. When the tests run as root (CI does), every `ferry`
/// process they start goes through util-linux's `setpriv` to the `nobody` user and the `nogroup` group with
/// no supplementary groups, so that a permission bug (a socket option needing a capability, a file only
/// root can read) fails the tests instead of a deployment. Run as any other user, the tests start `ferry`
/// as that user.
///
/// What such a process needs is arranged here: the executable is copied where `nobody` can reach it when
/// the build directory is not (a clone under `/root`), and the directory holding a test's configuration is
/// handed to `nobody` so that the agent can create its state directory there.
public enum Unprivileged {
    /// The account `ferry` runs under when the tests run as root.
    public struct Account: Sendable {
        public var name: String
        public var uid: uid_t
        public var gid: gid_t
    }

    /// Whether the tests run as root, so that child `ferry` processes drop to ``account``.
    public static var dropsPrivileges: Bool { geteuid() == 0 }

    /// `nobody` and its group (`nogroup` on Debian).
    public static let account: Account = {
        if let entry = getpwnam("nobody") {
            return Account(name: "nobody", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid)
        }
        return Account(name: "nobody", uid: 65534, gid: 65534)
    }()

    /// The uid `ferry` processes started by the tests run under.
    public static var childUID: uid_t { dropsPrivileges ? account.uid : geteuid() }

    /// `setpriv`, from util-linux.
    static let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"].first { FileManager.default.isExecutableFile(atPath: $0) }
        ?? "/usr/bin/setpriv"

    /// The program and arguments that run the built product `name` with `arguments`, as ``account`` when
    /// the tests run as root.
    public static func command(_ name: String, _ arguments: [String]) -> (executable: String, arguments: [String]) {
        let executable = reachableProduct(name)
        guard dropsPrivileges else { return (executable, arguments) }
        return (setpriv, [
            "--reuid=\(account.uid)", "--regid=\(account.gid)", "--clear-groups", "--", executable,
        ] + arguments)
    }

    /// Runs `ferry` with `arguments` (see ``command(_:_:)``) and waits for it.
    @discardableResult
    public static func runFerry(
        _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil, timeout: TimeInterval = 300
    ) throws -> Subprocess.Result {
        let (executable, fullArguments) = command("ferry", arguments)
        return try Subprocess.run(executable, fullArguments, stdin: stdin, environment: environment, timeout: timeout)
    }

    /// Gives `path` (one directory or file, not what it holds) to ``account``, so that a `ferry` process
    /// can create files in it. Does nothing unless the tests run as root.
    public static func handOver(_ path: String) {
        guard dropsPrivileges else { return }
        _ = chown(path, account.uid, account.gid)
    }

    /// Whether others may reach `path`: every directory on the way searchable, the file itself readable
    /// and executable.
    static func reachableByOthers(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & 0o005 == 0o005 else { return false }
        var directory = (path as NSString).deletingLastPathComponent
        while !directory.isEmpty {
            guard stat(directory, &info) == 0, info.st_mode & 0o001 != 0 else { return false }
            if directory == "/" { break }
            directory = (directory as NSString).deletingLastPathComponent
        }
        return true
    }

    private static let copies = NSLock()
    /// Where copies of the products go when the build directory is out of `nobody`'s reach.
    static let copiesDirectory = "/tmp/ferry-products-\(getpid())"
    nonisolated(unsafe) private static var copied: [String: String] = [:]

    /// The product `name` just built, or a copy of it in a directory `nobody` can reach (made once per
    /// test process, so it is always the binary of this build).
    public static func reachableProduct(_ name: String) -> String {
        let built = PackageLocation.product(name)
        guard dropsPrivileges, !reachableByOthers(built) else { return built }
        copies.lock()
        defer { copies.unlock() }
        if let copy = copied[name] { return copy }
        let directory = copiesDirectory
        if copied.isEmpty {
            // Removed when the test process exits.
            atexit { try? FileManager.default.removeItem(atPath: Unprivileged.copiesDirectory) }
        }
        mkdir(directory, 0o755)
        chmod(directory, 0o755)
        let copy = directory + "/" + name
        try? FileManager.default.removeItem(atPath: copy)
        if (try? FileManager.default.copyItem(atPath: built, toPath: copy)) != nil {
            chmod(copy, 0o755)
            copied[name] = copy
            return copy
        }
        return built
    }
}
