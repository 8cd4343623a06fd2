#if canImport(Glibc)
import Glibc
#endif

// ferry-testkit: child processes that the tests start, and kill.
//
//   ferry-testkit checkpoint-crash-child <state-dir> <seed>   commits random offsets until killed
//   ferry-testkit fuzz-responses <iterations> <seed>           feeds random frames to every response decoder
//   ferry-testkit fuzz-producer <responses> <seed> [rate]      the real producer against a hostile broker

let arguments = Array(CommandLine.arguments.dropFirst())
let rest = Array(arguments.dropFirst())
do {
    switch arguments.first {
    case "checkpoint-crash-child": try CheckpointCrashChild.run(rest)
    case "fuzz-responses": try ResponseFuzzChild.run(rest)
    case "fuzz-producer": try ProducerFuzzChild.run(rest)
    default:
        print("usage: ferry-testkit checkpoint-crash-child ...")
        exit(2)
    }
} catch {
    print("ferry-testkit: \(error)")
    exit(1)
}
