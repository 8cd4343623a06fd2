import Foundation
import FerryTestSupport
import FerryTestTags
import Testing

/// `systemd/ferry.service` as systemd itself reads it.
@Suite("systemd unit")
struct SystemdUnitTests {
    @Test(
        "systemd-analyze verify prints nothing for systemd/ferry.service (with ExecStart pointing at the ferry built here); it runs ferry as Type=notify, not as root, hardened",
        .tags(.childProcess), .needsChildProcesses)
    func verify() throws {
        let unit = try String(contentsOfFile: "\(PackageLocation.root)/systemd/ferry.service", encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "User=ferry", "DynamicUser=yes", "SupplementaryGroups=adm", "NoNewPrivileges=yes",
                     "ProtectSystem=strict", "CapabilityBoundingSet=", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
                     "SystemCallFilter=@system-service", "StateDirectory=ferry", "ConfigurationDirectory=ferry"] {
            #expect(unit.split(separator: "\n").contains { $0.hasPrefix(line) }, "\(line)")
        }
        let directory = try TemporaryDirectory("unit")
        defer { directory.remove() }
        let path = directory.file("ferry.service")
        try unit.replacingOccurrences(of: "/usr/bin/ferry", with: PackageLocation.product("ferry")).write(toFile: path, atomically: true, encoding: .utf8)
        let result = try Subprocess.run("/usr/bin/systemd-analyze", ["verify", path], timeout: 60)
        print("systemd-analyze verify: exit \(result.status), output '\(result.stdout + result.stderr)'")
        #expect(result.status == 0)
        #expect((result.stdout + result.stderr).isEmpty, "warnings count as failures: \(result.stdout) \(result.stderr)")
    }
}
