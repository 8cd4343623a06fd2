import FerryTestSupport
import Foundation
import Testing
import FerryTestTags

/// The real producer against a hostile broker (`ferry-testkit fuzz-producer`, in a child whose data segment
/// and CPU time are limited): a fifth of the answers mutated (hostile metadata, unknown error codes, absurd
/// counts and varints, truncated, doubled, unsolicited or missing frames, lying size prefixes) while records
/// flow. The producer must not trap, must log and drop each bad connection, and must deliver everything
/// new once the broker behaves, holding no descriptor more than before. A long run is
/// `scripts/fuzz-producer.sh` (1,000,000 answers).
@Suite("Producer against a hostile broker", .tags(.childProcess), .needsChildProcesses)
struct HostileBrokerTests {
    static let responses = 3000
    static let seed: UInt64 = 20_261_207

    @Test("3,000 answers, a fifth of them hostile: no trap, bounded memory, no descriptor leaked, recovers by itself")
    func fuzzedAnswers() throws {
        let executable = PackageLocation.product("ferry-testkit")
        try #require(FileManager.default.isExecutableFile(atPath: executable), "build it first: swift build --product ferry-testkit")
        let result = try Subprocess.run(executable, ["fuzz-producer", "\(Self.responses)", "\(Self.seed)", "0.2"], timeout: 300)
        #expect(result.status == 0, "exit \(result.status) (seed \(Self.seed)): \(result.stdout.suffix(3000)) \(result.stderr.suffix(2000))")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let summary = try #require(lines.first { $0.hasPrefix("fuzz-producer ") }, "no summary in: \(result.stdout)")
        print(summary)
        let fields = SummaryLine.fields(summary)
        #expect((fields["responses"] ?? 0) >= Self.responses)
        #expect((fields["mutated"] ?? 0) >= Self.responses / 10, "\(summary)")
        #expect((fields["connections_closed"] ?? 0) > 0, "\(summary)")
        #expect(summary.contains("recovered=1000/1000"), "\(summary)")
        #expect(fields["fds_after"] == fields["fds_before"], "\(summary)")
        #expect(fields["undecodable_requests"] == 0, "\(summary)")
        // Every kind of mutation happened at least once.
        let mutations = try #require(lines.first { $0.hasPrefix("mutations:") })
        for kind in ["metadata_partition_index", "metadata_many_partitions", "metadata_broker_port", "produce_unknown_error",
                     "bytes_size_absurd", "bytes_wrong_correlation_id", "bytes_unsolicited_frame", "bytes_truncated"] {
            #expect(mutations.contains("\(kind)="), "\(kind) never happened: \(mutations)")
        }
    }
}
