import ArgumentParser

#if canImport(Glibc)
import Glibc
#endif

/// `ferry`: the command line. Each subcommand lives in its own file.
@main
struct FerryCommand: AsyncParsableCommand {
    static func main() async {
        // Batches and requests are ~1 MiB buffers allocated and freed all the time: keep them in the heap
        // (reused) instead of fresh mmaps that page-fault on every use and are unmapped on every free.
        _ = glibcMallopt(-3, 64 << 20)  // M_MMAP_THRESHOLD
        _ = glibcMallopt(-1, 128 << 20)  // M_TRIM_THRESHOLD
        await Self.main(nil)
    }

    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Ship log files to Kafka, with nothing lost.",
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, ProduceCommand.self, VersionCommand.self])
}

/// glibc's `mallopt(3)` (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
