import ArgumentParser

/// `ferry`: the command line. Each subcommand lives in its own file.
@main
struct FerryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ship log files to Kafka, with nothing lost.",
        subcommands: [ProduceCommand.self, VersionCommand.self])
}
