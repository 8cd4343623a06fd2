import ArgumentParser
import Ferry
import Logging

/// `ferry check --config FILE`: validates the configuration, then shows what `ferry run` would read.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Validate a configuration and show each input's files and where reading would start.",
        discussion: "Exits 0 when the configuration is valid, 1 with every problem listed (file:line:column: key: message) otherwise.")

    @Option(name: .shortAndLong, help: "The configuration file (YAML); - reads it from standard input.")
    var config: String

    func run() async throws {
        StandardErrorLog.bootstrap(level: .critical)
        let configuration = try ConfigurationFile.load(config)
        if let problem = stateDirectoryProblem(configuration.stateDirectory) {
            let place = configuration.stateDirectoryLocation.map { "\(config):\($0.line):\($0.column)" } ?? config
            let key = configuration.stateDirectoryLocation == nil ? "state_dir (default)" : "state_dir"
            FileHandleStream.standardError.write("\(place): \(key): \(problem)\n")
            throw ExitCode(1)
        }
        let plan: StartPlan
        do {
            plan = try StartPlan.make(configuration: configuration, logger: Logger(label: "ferry.check"))
        } catch {
            FileHandleStream.standardError.write("\(config): \(error)\n")
            throw ExitCode(1)
        }
        print("\(config): configuration is valid")
        print("state_dir: \(configuration.stateDirectory) (checkpoint: \(plan.checkpoint))")
        let kafka = configuration.kafka
        print("kafka: bootstrap.servers=\(kafka["bootstrap.servers"] ?? "?") compression.type=\(kafka["compression.type"] ?? "none") acks=\(kafka["acks"] ?? "all")")
        for input in plan.inputs {
            print("input \(input.name) -> topic \(input.topic): \(input.files.count) file\(input.files.count == 1 ? "" : "s") now")
            for file in input.files {
                print("  \(file.path)  size \(file.size)  start \(file.start.map { "\($0)" } ?? "-")  (\(file.reason))")
            }
        }
        for problem in plan.problems + configuration.warnings { print("warning: \(problem)") }
    }
}
