@testable import FileTailing
import Testing

@Suite("Glob patterns")
struct GlobPatternTests {
    @Test("wildcards within one component", arguments: [
        ("/var/log/*.log", "/var/log/app.log", true),
        ("/var/log/*.log", "/var/log/.hidden.log", true),
        ("/var/log/*.log", "/var/log/app.log.1", false),
        ("/var/log/*.log", "/var/log/sub/app.log", false),
        ("/var/log/app-?.log", "/var/log/app-1.log", true),
        ("/var/log/app-?.log", "/var/log/app-12.log", false),
        ("/var/log/app-?.log", "/var/log/app-é.log", true),
        ("/var/log/[ab]*.log", "/var/log/b.log", true),
        ("/var/log/[ab]*.log", "/var/log/c.log", false),
        ("/var/log/[a-c]x", "/var/log/bx", true),
        ("/var/log/[a-c]x", "/var/log/dx", false),
        ("/var/log/[!a-c]x", "/var/log/dx", true),
        ("/var/log/[^a-c]x", "/var/log/ax", false),
        ("/var/log/[]]x", "/var/log/]x", true),
        ("/var/log/a\\*b", "/var/log/a*b", true),
        ("/var/log/a\\*b", "/var/log/axb", false),
        ("/var/log/*a*b*c", "/var/log/xaybzc", true),
        ("/var/log/*a*b*c", "/var/log/xaybzcd", false),
        ("/var/log/*", "/var/log/x", true),
    ])
    func component(pattern: String, path: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(path) == expected)
    }

    @Test("** matches zero or more directories", arguments: [
        ("/logs/**/*.log", "/logs/a.log", true),
        ("/logs/**/*.log", "/logs/x/a.log", true),
        ("/logs/**/*.log", "/logs/x/y/z/a.log", true),
        ("/logs/**/*.log", "/other/a.log", false),
        ("/logs/**/app/*.log", "/logs/app/a.log", true),
        ("/logs/**/app/*.log", "/logs/p/q/app/a.log", true),
        ("/logs/**/app/*.log", "/logs/p/q/a.log", false),
        ("/**/x.log", "/a/b/x.log", true),
        ("/logs/**/**/x.log", "/logs/x.log", true),
    ])
    func anyDepth(pattern: String, path: String, expected: Bool) throws {
        #expect(try GlobPattern(pattern).matches(path) == expected)
    }

    @Test("the base directory is the literal prefix")
    func baseDirectory() throws {
        #expect(try GlobPattern("/var/log/app/*.log").baseDirectory == "/var/log/app")
        #expect(try GlobPattern("/var/log/*/app.log").baseDirectory == "/var/log")
        #expect(try GlobPattern("/var/log/**/x.log").baseDirectory == "/var/log")
        #expect(try GlobPattern("/x.log").baseDirectory == "/")
        #expect(try GlobPattern("/var/log/x.log").baseDirectory == "/var/log")
        #expect(try GlobPattern("/var/log/x.log").isLiteral)
    }

    @Test("directories are pruned when nothing below them can match")
    func pruning() throws {
        let glob = try GlobPattern("/logs/*/app/*.log")
        #expect(glob.canMatchBelow(glob.state(afterDirectory: "/logs")))
        #expect(glob.canMatchBelow(glob.state(afterDirectory: "/logs/x")))
        #expect(glob.canMatchBelow(glob.state(afterDirectory: "/logs/x/app")))
        #expect(!glob.canMatchBelow(glob.state(afterDirectory: "/logs/x/other")))
        #expect(!glob.canMatchBelow(glob.state(afterDirectory: "/logs/x/app/deeper")))
        #expect(!glob.canMatchBelow(glob.state(afterDirectory: "/elsewhere")))
        #expect(glob.canMatchBelow(glob.state(afterDirectory: "/")))
        let deep = try GlobPattern("/logs/**/*.log")
        #expect(deep.canMatchBelow(deep.state(afterDirectory: "/logs/a/b/c/d")))
    }

    @Test("invalid patterns are rejected with a reason", arguments: [
        "relative/*.log", "/logs/a**b/x", "/logs/**", "/logs/[ab", "/logs/../x.log", "/",
    ])
    func invalid(pattern: String) {
        #expect(throws: TailingError.self) { try GlobPattern(pattern) }
    }

    @Test("the first input that includes and does not exclude a path owns it")
    func inputs() throws {
        let matcher = try InputMatcher([
            TailInput(name: "a", include: ["/logs/*.log"], exclude: ["*-debug.log", "/logs/skip/**/*.log"]),
            TailInput(name: "b", include: ["/logs/**/*.log"]),
        ])
        #expect(matcher.input(for: "/logs/x.log") == 0)
        #expect(matcher.input(for: "/logs/x-debug.log") == 1)
        #expect(matcher.input(for: "/logs/skip/y.log") == 1)
        #expect(matcher.input(for: "/logs/deep/y.log") == 1)
        #expect(matcher.input(for: "/logs/x.txt") == nil)
    }

    @Test("configuration problems name their option")
    func validation() {
        var configuration = TailerConfiguration(inputs: [
            TailInput(name: "a", include: ["logs/*.log"], exclude: ["[x"], maxLineBytes: 0, partialLineTimeoutMs: 0),
            TailInput(name: "a", include: []),
        ])
        configuration.maxOpenFiles = 0
        configuration.readChunkBytes = 10
        configuration.sweepIntervalMs = 1
        configuration.pollIntervalMs = 1
        configuration.closeInactiveMs = -1
        let options = Set(configuration.validate().compactMap(\.option))
        #expect(options == [
            "inputs[0].include[0]", "inputs[0].exclude[0]", "inputs[0].max_line_bytes",
            "inputs[0].partial_line_timeout_ms", "inputs[1].name", "inputs[1].include", "max_open_files",
            "read_chunk_bytes", "sweep_interval_ms", "poll_interval_ms", "close_inactive_ms",
        ])
        #expect(configuration.validate().allSatisfy { $0.code == .invalidConfiguration })
        #expect(TailerConfiguration(inputs: [TailInput(name: "ok", include: ["/x/*.log"])]).validate().isEmpty)
        #expect(TailerConfiguration(inputs: []).validate().map(\.option) == ["inputs"])
    }
}
