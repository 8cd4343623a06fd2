import FerryTestSupport
import FileTailing
import Foundation
import Testing

@Suite("File discovery (one-off scan)")
struct FileDiscoveryTests {
    @Test("lists matching files once with identity and size, leaves excluded ones out, names loops")
    func scan() throws {
        let directory = try TemporaryDirectory("discovery")
        defer { directory.remove() }
        let logs = directory.file("logs")
        try FileManager.default.createDirectory(atPath: logs + "/nested/deeper", withIntermediateDirectories: true)
        try "a\n".write(toFile: logs + "/a.log", atomically: true, encoding: .utf8)
        try "bb\n".write(toFile: logs + "/nested/deeper/b.log", atomically: true, encoding: .utf8)
        try "old\n".write(toFile: logs + "/a.log.gz", atomically: true, encoding: .utf8)
        try "skip\n".write(toFile: logs + "/debug.log", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: logs + "/alias.log", withDestinationPath: logs + "/a.log")
        try FileManager.default.createSymbolicLink(atPath: logs + "/loop.log", withDestinationPath: logs + "/loop.log")
        let configuration = TailerConfiguration(inputs: [
            TailInput(name: "logs", include: [logs + "/**/*.log"], exclude: ["debug.log"])
        ])
        let result = try FileDiscovery.scan(configuration)
        let found = Dictionary(uniqueKeysWithValues: result.files.map { ($0.path, $0) })
        #expect(Set(found.keys).isSuperset(of: [logs + "/nested/deeper/b.log"]))
        // a.log and alias.log are the same file: listed once.
        #expect(found.keys.filter { $0.hasSuffix("/a.log") || $0.hasSuffix("/alias.log") }.count == 1)
        #expect(found[logs + "/debug.log"] == nil && found[logs + "/a.log.gz"] == nil)
        #expect(found[logs + "/nested/deeper/b.log"]?.size == 3)
        #expect(result.files.allSatisfy { $0.input == "logs" && $0.foundByInitialScan && $0.identity.inode != 0 })
        #expect(result.loops.contains(logs + "/loop.log"), "\(result.loops)")
    }

    @Test("a bad configuration is refused with the option named")
    func badConfiguration() {
        #expect { try FileDiscovery.scan(TailerConfiguration(inputs: [])) } throws: { error in
            (error as? TailingError)?.option == "inputs"
        }
    }
}
