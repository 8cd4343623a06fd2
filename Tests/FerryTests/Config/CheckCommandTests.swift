import FerryTestSupport
import Foundation
import Testing
import FerryTestTags

/// `ferry check` on broken configurations: each must exit 1 with a message naming file, line, column and
/// key. The fixtures' first line says what the message must contain.
@Suite("ferry check on broken configurations", .tags(.childProcess), .needsChildProcesses)
struct CheckCommandTests {
    static let fixtures = PackageLocation.root + "/Tests/Fixtures/broken-configs"

    static var files: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    @Test("at least 20 broken configurations, each refused with a precise message and exit status 1")
    func brokenConfigurations() throws {
        let files = Self.files
        #expect(files.count >= 20)
        // Copied where the unprivileged user `ferry` runs as can read them (the clone may be under /root).
        let directory = try TemporaryDirectory("broken-configs")
        defer { directory.remove() }
        for name in files {
            let path = directory.file(name)
            try FileManager.default.copyItem(atPath: "\(Self.fixtures)/\(name)", toPath: path)
            let text = try String(contentsOfFile: path, encoding: .utf8)
            let expected = String(text.prefix { $0 != "\n" }.dropFirst("# expect: ".count))
            let result = try Unprivileged.runFerry(["check", "--config", path], timeout: 30)
            #expect(result.status == 1, "\(name): exit \(result.status)")
            #expect(result.stderr.contains(path), "\(name): the message names the file: \(result.stderr)")
            #expect(result.stderr.contains(expected), "\(name): expected '\(expected)' in: \(result.stderr)")
        }
    }

    @Test("--config - reads the configuration from standard input (a container's piped or mounted configuration); its errors name (standard input)")
    func configurationFromStandardInput() throws {
        let directory = try TemporaryDirectory("stdin-config")
        defer { directory.remove() }
        Unprivileged.handOver(directory.path)
        let text = """
            state_dir: \(directory.file("state"))
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: app
            output:
              kafka:
                bootstrap.servers: ${BROKERS}
            """
        let valid = try Unprivileged.runFerry(["check", "--config", "-"], stdin: Data(text.utf8), environment: ["BROKERS": "127.0.0.1:9092"], timeout: 30)
        #expect(valid.status == 0, "\(valid.stderr)")
        #expect(valid.stdout.contains("-: configuration is valid") && valid.stdout.contains("bootstrap.servers=127.0.0.1:9092"), "\(valid.stdout)")
        let broken = try Unprivileged.runFerry(
            ["check", "--config", "-"], stdin: Data(text.replacingOccurrences(of: "topic: app", with: "topic: app\n    colour: red").utf8),
            environment: ["BROKERS": "b:9092"], timeout: 30)
        #expect(broken.status == 1)
        #expect(broken.stderr.contains("(standard input):6:"), "\(broken.stderr)")
    }

    @Test("the example configuration etc/ferry.yaml is valid, and check lists each input's files")
    func exampleConfiguration() throws {
        let directory = try TemporaryDirectory("example-config")
        defer { directory.remove() }
        // As deployed, /var/lib/ferry is made by the package or systemd's StateDirectory=; here the state
        // directory is one the unprivileged user may create.
        let example = try String(contentsOfFile: PackageLocation.root + "/etc/ferry.yaml", encoding: .utf8)
        #expect(example.contains("state_dir: /var/lib/ferry\n"))
        try example.replacingOccurrences(of: "state_dir: /var/lib/ferry\n", with: "state_dir: \(directory.file("state"))\n")
            .write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        Unprivileged.handOver(directory.path)
        let result = try Unprivileged.runFerry(["check", "--config", directory.file("ferry.yaml")], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("configuration is valid"))
        #expect(result.stdout.contains("input app -> topic app-logs"))
        #expect(result.stdout.contains("input containers -> topic container-logs"))
    }

    @Test("check shows where each file would start: new files, and files with a checkpoint")
    func startPositions() throws {
        let directory = try TemporaryDirectory("check")
        defer { directory.remove() }
        try FileManager.default.createDirectory(atPath: directory.file("logs"), withIntermediateDirectories: true)
        try "one\ntwo\n".write(toFile: directory.file("logs/a.log"), atomically: true, encoding: .utf8)
        try "partial".write(toFile: directory.file("logs/b.log"), atomically: true, encoding: .utf8)
        let config = """
            state_dir: \(directory.file("state"))
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: logs
                start_at: end
            output:
              kafka:
                bootstrap.servers: 127.0.0.1:9
            """
        try config.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        Unprivileged.handOver(directory.path)
        let result = try Unprivileged.runFerry(["check", "--config", directory.file("ferry.yaml")], timeout: 30)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("a.log  size 8  start 8  (new file, start_at end)"), "\(result.stdout)")
        #expect(result.stdout.contains("b.log  size 7  start 0  (new file, start_at end)"), "\(result.stdout)")
    }

    @Test("a closed standard output is an error to handle, not a SIGPIPE death")
    func closedStandardOutput() throws {
        let directory = try TemporaryDirectory("check-sigpipe")
        defer { directory.remove() }
        try """
            state_dir: \(directory.file("state"))
            inputs:
              - name: app
                paths: [\(directory.file("logs"))/*.log]
                topic: logs
            output:
              kafka:
                bootstrap.servers: 127.0.0.1:9
            """.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)
        Unprivileged.handOver(directory.path)
        let (executable, arguments) = Unprivileged.command("ferry", ["check", "--config", directory.file("ferry.yaml")])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // The reader is gone before the child writes: its first write gets EPIPE (or SIGPIPE, if not ignored).
        try output.fileHandleForReading.close()
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit, "ferry check died of signal \(process.terminationStatus)")
    }
}
