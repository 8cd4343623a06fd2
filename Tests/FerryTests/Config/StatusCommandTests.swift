import Checkpointing
import FileTailing
import Foundation
import FerryTestSupport
import FerryTestTags
import Logging
import Testing

@testable import Ferry

/// `ferry status` on a checkpoint written here, with files in every state it prints: `caught-up`, `behind`,
/// `gone`, `gone-undelivered` (its bytes counted as lost), `replaced`; the table, `--json`, `--input` and
/// `--wait` (met and timed out), run as the agent's user would.
@Suite("ferry status", .serialized)
struct StatusCommandTests {
    @Test(
        "every state, the LOST column and total, --json, --input, --wait (exit 0 once caught up, 1 on timeout)",
        .tags(.childProcess), .needsChildProcesses)
    func states() throws {
        let directory = try TemporaryDirectory("status")
        defer { directory.remove() }
        let logs = directory.file("logs")
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        func make(_ name: String, bytes: Int) throws -> FileIdentity {
            let path = "\(logs)/\(name)"
            try Data(repeating: UInt8(ascii: "x"), count: bytes).write(to: URL(fileURLWithPath: path))
            var info = stat()
            stat(path, &info)
            return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino), fingerprint: FileFingerprint(length: 0, hash: 0))
        }
        let caught = try make("caught.log", bytes: 10)
        let behind = try make("behind.log", bytes: 20)
        let done = try make("done.log", bytes: 7)
        _ = try make("replaced.log", bytes: 30)
        let now = WallClockTime.now()
        func entry(_ name: String, _ identity: FileIdentity, input: String = "app", committed: Int64, known: Int64, gone: Bool = false) -> CheckpointEntry {
            CheckpointEntry(
                identity: identity, path: "\(logs)/\(name)", inputName: input, committedOffset: committed, marker: .none,
                knownSize: known, updatedAt: now, lastAcknowledgedAt: now, goneSince: gone ? now : nil)
        }
        let elsewhere = FileIdentity(device: caught.device, inode: caught.inode &+ 1_000_000, fingerprint: caught.fingerprint)
        let entries = [
            entry("caught.log", caught, committed: 10, known: 10),
            entry("behind.log", behind, committed: 5, known: 20),
            entry("gone.log", elsewhere, committed: 50, known: 50, gone: true),
            entry("lost.log", FileIdentity(device: caught.device, inode: caught.inode &+ 2_000_000, fingerprint: caught.fingerprint),
                  committed: 40, known: 100, gone: true),
            entry("replaced.log", FileIdentity(device: caught.device, inode: caught.inode &+ 3_000_000, fingerprint: caught.fingerprint),
                  committed: 30, known: 30),
            entry("done.log", done, input: "done", committed: 7, known: 7),
        ]
        let state = directory.file("state")
        let (store, _) = try CheckpointStore.open(configuration: CheckpointConfiguration(directory: state), logger: Logger(label: "test"))
        _ = try store.commit(entries)
        store.close()
        Unprivileged.handOver(state)
        for name in (try? FileManager.default.contentsOfDirectory(atPath: state)) ?? [] { Unprivileged.handOver("\(state)/\(name)") }
        let config = directory.file("ferry.yaml")
        try """
            state_dir: \(state)
            inputs:
              - name: app
                paths: [\(logs)/*.log]
                topic: t
              - name: done
                paths: [\(logs)/done*.log]
                topic: t
            output:
              kafka:
                bootstrap.servers: 127.0.0.1:9092
            """.write(toFile: config, atomically: true, encoding: .utf8)

        let table = try Unprivileged.runFerry(["status", "--config", config], timeout: 60)
        print(table.stdout)
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        func row(_ name: String) -> [String]? { lines.first { $0.first == "\(logs)/\(name)" } }
        #expect(row("caught.log")?[5] == "caught-up" && row("caught.log")?[4] == "0")
        #expect(row("behind.log")?[5] == "behind" && row("behind.log")?[4] == "15")
        #expect(row("gone.log")?[5] == "gone")
        #expect(row("lost.log")?[5] == "gone-undelivered" && row("lost.log")?.last == "60")
        #expect(row("replaced.log")?[5] == "replaced")
        #expect(lines.last?.first == "TOTAL" && lines.last?.last == "60", "the total of bytes lost")

        let json = try Unprivileged.runFerry(["status", "--config", config, "--json"], timeout: 60)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any], "\(json.stdout)")
        let files = try #require(object["files"] as? [[String: Any]])
        var states: [String: String] = [:]
        for file in files { states[((file["path"] as? String ?? "") as NSString).lastPathComponent] = file["state"] as? String }
        #expect(states == ["caught.log": "caught-up", "behind.log": "behind", "gone.log": "gone", "lost.log": "gone-undelivered",
                           "replaced.log": "replaced", "done.log": "caught-up"])
        let total = try #require(object["total"] as? [String: Any])
        #expect((total["undelivered"] as? Int) == 60 && (total["lag"] as? Int) == 15 && (total["files"] as? Int) == 6, "\(total)")
        #expect((object["caught_up"] as? Bool) == false)
        #expect(files.first { ($0["path"] as? String)?.hasSuffix("gone.log") == true }?["size"] is NSNull, "unknown sizes are null")

        let waitDone = try Unprivileged.runFerry(["status", "--config", config, "--input", "done", "--wait", "--timeout-ms", "5000", "--json"], timeout: 60)
        #expect(waitDone.status == 0 && waitDone.stdout.contains("\"caught_up\":true"), "\(waitDone.stdout) \(waitDone.stderr)")
        let started = Date()
        let waitApp = try Unprivileged.runFerry(["status", "--config", config, "--input", "app", "--wait", "--timeout-ms", "500"], timeout: 60)
        #expect(waitApp.status == 1 && waitApp.stderr.contains("not caught up within 500 ms"), "\(waitApp.stderr)")
        #expect(Date().timeIntervalSince(started) < 30)
        let unknown = try Unprivileged.runFerry(["status", "--config", config, "--input", "nope"], timeout: 60)
        #expect(unknown.status != 0 && unknown.stderr.contains("--input nope"), "\(unknown.stderr)")
    }
}
