#if canImport(Glibc)
import Glibc
#endif

// ferry-bench: benchmarks that print figures. Run them in release mode through scripts/bench-*.sh.
//
//   ferry-bench wire [options]         encode + compress + CRC of log lines into record batches
//   ferry-bench tail [options]         read + split throughput, discovery time, idle CPU
//   ferry-bench checkpoint [options]   checkpoint write / load time and size
//   ferry-bench corpus --lines N --out FILE   writes the benchmark corpus (fixed seed) to a file

let arguments = Array(CommandLine.arguments.dropFirst())
let rest = Array(arguments.dropFirst())
do {
    switch arguments.first {
    case "wire": try WireBenchmark.run(rest)
    case "tail": try TailingBenchmark.run(rest)
    case "checkpoint": try CheckpointBenchmark.run(rest)
    case "corpus": try LogCorpus.write(rest)
    default:
        print("usage: ferry-bench wire|tail|checkpoint|corpus [options]")
        exit(2)
    }
} catch {
    print("ferry-bench: \(error)")
    exit(1)
}
