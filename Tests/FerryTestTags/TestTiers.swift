import FerryTestSupport
import Foundation
import Testing

/// The test tiers. `make test` runs everything; `make test-fast` (`FERRY_TEST_TIER=fast`) runs only the
/// tests that need neither the broker nor a child process, in well under two minutes. A suite that needs
/// what is missing is skipped with a message saying what and why, instead of failing.
extension Tag {
    /// Starts the tansu broker (from `.venv`, made by `make setup`).
    @Tag public static var broker: Self
    /// Starts child processes: `ferry` (as an unprivileged user when run as root), `ferry-testkit`, Python
    /// verifiers, logrotate.
    @Tag public static var childProcess: Self
}

/// What the environment offers the tests.
public enum TestTier {
    /// Whether only the fast tier runs (`FERRY_TEST_TIER=fast`).
    public static var fastOnly: Bool { ProcessInfo.processInfo.environment["FERRY_TEST_TIER"] == "fast" }

    /// Whether tansu can be started.
    public static var brokerAvailable: Bool { FileManager.default.isExecutableFile(atPath: TansuBroker.binary) }

    /// Whether the project's Python (confluent-kafka, kafka-python) is there.
    public static var pythonAvailable: Bool { FileManager.default.isExecutableFile(atPath: PackageLocation.python) }
}

extension Trait where Self == ConditionTrait {
    /// For suites that start tansu and read back with librdkafka: skipped in the fast tier, or with a
    /// message when `make setup` has not installed them.
    public static var needsBroker: Self {
        .enabled("needs the tansu broker and the Python clients from .venv (run make setup; skipped by make test-fast)") {
            !TestTier.fastOnly && TestTier.brokerAvailable && TestTier.pythonAvailable
        }
    }

    /// For suites that start child processes (built executables, Python, logrotate): skipped in the fast tier.
    public static var needsChildProcesses: Self {
        .enabled("starts child processes (skipped by make test-fast)") { !TestTier.fastOnly }
    }
}
