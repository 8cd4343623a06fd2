/// Placeholder until this benchmark lands; replaced in the change that builds it.
enum WireBenchmark {
    static func run(_ arguments: [String]) throws {
        print("WireBenchmark: not built yet")
    }
}
