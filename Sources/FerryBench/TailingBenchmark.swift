/// Placeholder until this benchmark lands; replaced in the change that builds it.
enum TailingBenchmark {
    static func run(_ arguments: [String]) throws {
        print("TailingBenchmark: not built yet")
    }
}
