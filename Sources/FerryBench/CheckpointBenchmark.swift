/// Placeholder until this benchmark lands; replaced in the change that builds it.
enum CheckpointBenchmark {
    static func run(_ arguments: [String]) throws {
        print("CheckpointBenchmark: not built yet")
    }
}
