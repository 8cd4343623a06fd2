import ArgumentParser
import Ferry
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// `ferry run --config FILE`: the agent, in the foreground, logging to standard error.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Tail the configured files and ship their lines to Kafka (foreground).",
        discussion: """
            Stops on SIGTERM or SIGINT: reading stops, in-flight records get up to shutdown_timeout_ms to be \
            acknowledged, the checkpoint is written, and the exit status is 0. SIGHUP reads the configuration \
            again: a valid one replaces the running one (which stops as on SIGTERM first), one with problems is \
            refused and logged. A configuration error exits 1; \
            a start-up failure (state directory locked or unusable, Kafka producer settings) exits 2.
            """)

    @Option(name: .shortAndLong, help: "The configuration file (YAML); - reads it from standard input.")
    var config: String

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .info

    @Option(name: .customLong("log-format"), help: "logfmt or json (default: the configuration's log.format, else logfmt).")
    var logFormat: LogFormat?

    func run() async throws {
        let configuration = try ConfigurationFile.load(config)
        StandardErrorLog.bootstrap(level: logLevel, format: logFormat ?? configuration.logFormat)
        // SIGHUP reads the file again (standard input cannot be read again).
        let path = config
        var reload: Agent.ReloadSource? = nil
        if path != "-" {
            reload = { @Sendable () throws(ConfigurationErrors) -> AgentConfiguration in
                try AgentConfiguration.load(path: path, environment: ConfigurationFile.processEnvironment())
            }
        }
        let agent = Agent(configuration: configuration, logger: Logger(label: "ferry"), reload: reload)
        do {
            try await agent.run()
        } catch let error as AgentError {
            FileHandleStream.standardError.write("ferry run: \(error)\n")
            throw ExitCode(2)
        }
    }
}

/// Loading the configuration for the commands: every error printed as `file:line:column: key: message`.
enum ConfigurationFile {
    static func load(_ path: String) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path, environment: processEnvironment())
        } catch {
            for problem in error.errors { FileHandleStream.standardError.write("\(problem)\n") }
            throw ExitCode(1)
        }
    }

    /// The process environment, for `${VAR}` interpolation.
    static func processEnvironment() -> [String: String] { ProcessEnvironment.current() }
}
