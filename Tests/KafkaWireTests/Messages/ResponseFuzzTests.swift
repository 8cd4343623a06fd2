import FerryTestSupport
import Foundation
import KafkaWire
import Testing
import FerryTestTags

/// Runs `ferry-testkit fuzz-responses` (built next to the test bundle: `swift build --product
/// ferry-testkit` first): at least 100,000 random and mutated frames per response type, in a child whose
/// data segment and CPU time are limited, so a hostile length that allocates or a decoder that hangs
/// kills it. It must exit 0, having found every decode error to be a `KafkaWireError` carrying the bytes.
@Suite("Response decoder fuzzing", .tags(.childProcess), .needsChildProcesses)
struct ResponseFuzzTests {
    static let framesPerType = 100_000
    static let seed: UInt64 = 20_261_124

    /// The response types the child fuzzes, as it names them.
    static let responseTypes = [
        "ApiVersionsResponse", "MetadataResponse", "ProduceResponse", "InitProducerIdResponse", "SaslHandshakeResponse",
        "SaslAuthenticateResponse", "CreateTopicsResponse", "ListOffsetsResponse", "FetchResponse",
    ]

    @Test("100,000 random and mutated frames per response type: no crash, no hang, errors carry the bytes")
    func fuzzEveryResponseDecoder() throws {
        let executable = PackageLocation.product("ferry-testkit")
        try #require(
            FileManager.default.isExecutableFile(atPath: executable),
            "build it first: swift build --product ferry-testkit (looked for \(executable))")
        let result = try Subprocess.run(
            executable, ["fuzz-responses", "\(Self.framesPerType)", "\(Self.seed)"], timeout: 240)
        #expect(result.status == 0, "fuzz child exited \(result.status) (seed \(Self.seed)): \(result.stdout.suffix(3000)) \(result.stderr.suffix(2000))")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for type in Self.responseTypes {
            let line = try #require(lines.first { $0.contains("type=\(type) ") }, "no line for \(type) in: \(result.stdout)")
            let fields = SummaryLine.fields(line)
            #expect((fields["frames"] ?? 0) >= Self.framesPerType, "\(line)")
            #expect(fields["violations"] == 0, "\(line)")
            // Both outcomes must occur: mutated frames that still decode, and errors.
            #expect((fields["decoded"] ?? 0) > 0 && (fields["decode_errors"] ?? 0) > 0, "\(line)")
            #expect((fields["decoded"] ?? 0) + (fields["decode_errors"] ?? 0) == fields["frames"], "\(line)")
        }
        let total = try #require(lines.first { $0.hasPrefix("fuzz-responses total") }, "no total line in: \(result.stdout)")
        let totals = SummaryLine.fields(total)
        #expect((totals["frames"] ?? 0) >= Self.framesPerType * Self.responseTypes.count, "\(total)")
        #expect((totals["frame_errors"] ?? 0) > 0 && (totals["incomplete"] ?? 0) > 0, "\(total)")
        #expect(totals["violations"] == 0, "\(total)")
        print(total)
    }
}
