/// Placeholder until the response fuzzer lands; replaced in the change that builds it.
enum ResponseFuzzChild {
    static func run(_ arguments: [String]) throws {
        print("fuzz-responses: not built yet")
    }
}
