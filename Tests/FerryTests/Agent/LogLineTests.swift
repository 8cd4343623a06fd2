import Foundation
import FerryTestSupport
import FerryTestTags
import Logging
import Testing

@testable import Ferry

/// `ferry run`'s log lines: logfmt by default, JSON with `log.format: json`, journald's `<N>` priority when
/// standard error is the journal; one line per event whatever a file name or a broker holds.
@Suite("Log lines")
struct LogLineTests {
    @Test("logfmt: values bare when they can be, quoted and escaped when not; keys sorted; one line whatever the text holds")
    func logfmt() {
        let formatter = LogLineFormatter(format: .logfmt, journald: false)
        let line = formatter.line(
            timestamp: "2026-12-07T20:00:00.000Z", level: .warning, message: "file renamed; reading on",
            metadata: ["file.path": "/var/log/a b.log", "offset": "42", "from": "/var/log/x\n\"y\"=\\", "empty": ""])
        #expect(line == #"ts=2026-12-07T20:00:00.000Z level=warning msg="file renamed; reading on" empty="" file.path="/var/log/a b.log" from="/var/log/x\n\"y\"=\\" offset=42"# + "\n")
        let bare = formatter.line(timestamp: "t", level: .info, message: "ready", metadata: ["reason": "moved_out", "k e=y": "v"])
        #expect(bare == "ts=t level=info msg=ready k_e_y=v reason=moved_out\n")
        let control = formatter.line(timestamp: "t", level: .error, message: "a\u{1}b\rc", metadata: [:])
        #expect(control == #"ts=t level=error msg="a\u0001b\rc""# + "\n")
    }

    @Test("JSON: one object per line that a JSON parser reads back exactly, whatever the text holds")
    func json() throws {
        let formatter = LogLineFormatter(format: .json, journald: false)
        let metadata: Logger.Metadata = [
            "file.path": "/var/log/\u{7}weird\n\"name\".log", "offset": "42", "list": .array(["a", "b"]), "msg": "shadowed",
        ]
        let line = formatter.line(timestamp: "2026-12-07T20:00:00.000Z", level: .error, message: "bytes lost: \"x\"", metadata: metadata)
        #expect(line.hasSuffix("}\n") && !line.dropLast().contains("\n"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(object == [
            "ts": "2026-12-07T20:00:00.000Z", "level": "error", "msg": "bytes lost: \"x\"",
            "file.path": "/var/log/\u{7}weird\n\"name\".log", "offset": "42", "list": "[a,b]",
        ])
    }

    @Test("journald: each line starts with its syslog priority; JOURNAL_STREAM counts only when it names standard error")
    func journald() {
        let formatter = LogLineFormatter(format: .logfmt, journald: true)
        let levels: [(Logger.Level, String)] = [
            (.trace, "<7>"), (.debug, "<7>"), (.info, "<6>"), (.notice, "<5>"), (.warning, "<4>"), (.error, "<3>"), (.critical, "<2>"),
        ]
        for (level, prefix) in levels {
            #expect(formatter.line(timestamp: "t", level: level, message: "m", metadata: [:]).hasPrefix(prefix + "ts=t level=\(level)"))
        }
        var info = stat()
        fstat(2, &info)
        #expect(LogLineFormatter.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"]))
        #expect(!LogLineFormatter.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino &+ 1)"]))
        #expect(!LogLineFormatter.standardErrorIsJournal(environment: ["JOURNAL_STREAM": "garbage"]))
        #expect(!LogLineFormatter.standardErrorIsJournal(environment: [:]))
    }

    @Test("log.format: logfmt or json; anything else is an error naming its line")
    func configuration() throws {
        let base = "inputs:\n  - name: a\n    paths: [/tmp/x/*.log]\n    topic: t\noutput:\n  kafka:\n    bootstrap.servers: 127.0.0.1:9092\n"
        let json = try AgentConfiguration.parse(base + "log:\n  format: json\n", file: "f.yaml", environment: [:])
        #expect(json.logFormat == .json)
        #expect(try AgentConfiguration.parse(base, file: "f.yaml", environment: [:]).logFormat == .logfmt)
        do {
            _ = try AgentConfiguration.parse(base + "log:\n  format: xml\n", file: "f.yaml", environment: [:])
            Issue.record("log.format: xml was accepted")
        } catch {
            #expect(error.errors.contains { "\($0)".hasPrefix("f.yaml:9:") && "\($0)".contains("log.format") }, "\(error.errors)")
        }
    }

    @Test(
        "ferry run under journald (JOURNAL_STREAM names its standard error): every line carries its priority; with log.format json every line is a JSON object",
        .tags(.childProcess), .needsChildProcesses)
    func agentLines() throws {
        let directory = try TemporaryDirectory("log-lines")
        defer { directory.remove() }
        let port = try FreePort.find()  // nothing listens: the agent logs its failed connections
        for format in ["logfmt", "json"] {
            let config = directory.file("\(format).yaml")
            try """
                state_dir: \(directory.file("state-\(format)"))
                log:
                  format: \(format)
                inputs:
                  - name: a
                    paths: [\(directory.file("logs"))/*.log]
                    topic: t
                output:
                  kafka:
                    bootstrap.servers: 127.0.0.1:\(port)
                """.write(toFile: config, atomically: true, encoding: .utf8)
            let log = directory.file("\(format).log")
            FileManager.default.createFile(atPath: log, contents: nil)
            var info = stat()
            stat(log, &info)
            let agent = try AgentProcess(
                config: config, logPath: log, environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"])
            let deadline = Date().addingTimeInterval(20)
            while !agent.log.contains("cannot connect to broker") && Date() < deadline { usleep(100_000) }
            let exit = agent.terminate()
            let lines = agent.log.split(separator: "\n").map(String.init)
            print("\(format) under journald: \(lines.count) lines, first: \(lines.first ?? "none")")
            #expect(exit.status == 0)
            #expect(lines.count >= 3 && lines.allSatisfy { $0.range(of: #"^<[2-7]>"#, options: .regularExpression) != nil }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("<5>") && $0.contains("ferry is running") }, "notice is <5>")
            #expect(lines.contains { $0.hasPrefix("<4>") && $0.contains("cannot connect to broker") }, "warning is <4>")
            if format == "json" {
                for line in lines {
                    let object = try? JSONSerialization.jsonObject(with: Data(line.dropFirst(3).utf8)) as? [String: String]
                    #expect(object?["msg"] != nil && object?["level"] != nil && object?["ts"] != nil, "\(line)")
                }
            } else {
                #expect(lines.allSatisfy { $0.dropFirst(3).hasPrefix("ts=") }, "\(lines)")
            }
        }
    }
}
