/// Placeholder until the checkpoint crash test lands; replaced in the change that builds it.
enum CheckpointCrashChild {
    static func run(_ arguments: [String]) throws {
        print("checkpoint-crash-child: not built yet")
    }
}
