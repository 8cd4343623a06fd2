import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `ferry`: the command line. Each subcommand lives in its own file.
@main
struct FerryCommand: AsyncParsableCommand {
    static func main() async {
        // A write to a closed pipe or socket is an error to handle (EPIPE), never a reason to die.
        signal(SIGPIPE, SIG_IGN)
        // Batches and requests are buffers of 0.1-1 MiB allocated and freed all the time: keep them in the
        // heap (reused) instead of fresh mmaps that page-fault on every use. The agent also keeps one arena
        // and gives memory back above 2 MiB free, so that its footprint stays small (README: Memory).
        _ = glibcMallopt(mallocMmapThreshold, 64 << 20)
        if CommandLine.arguments.dropFirst().first == "run" {
            _ = glibcMallopt(mallocArenaMax, 1)
            _ = glibcMallopt(mallocTrimThreshold, 2 << 20)
        } else {
            _ = glibcMallopt(mallocTrimThreshold, 128 << 20)
        }
        await Self.main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ship log files to Kafka, with nothing lost.",
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, ProduceCommand.self, VersionCommand.self])
}

/// `mallopt` parameters (malloc.h).
let mallocTrimThreshold: Int32 = -1
let mallocMmapThreshold: Int32 = -3
let mallocArenaMax: Int32 = -8

/// glibc's `mallopt(3)` (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
