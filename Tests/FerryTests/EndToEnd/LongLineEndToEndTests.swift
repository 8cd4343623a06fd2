import Ferry
import FerryTestSupport
import Foundation
import Testing
import FerryTestTags

/// Lines longer than a record may be, with the defaults (`max_line_bytes` and `max.request.size` both
/// 1 MiB): each goes out in pieces that fit a request, in one partition, marked `log.piece` `P<n>`/`F<n>`,
/// and the pieces concatenate to the original bytes. Read back with librdkafka.
@Suite("Long lines end to end", .serialized, .tags(.broker, .childProcess), .needsBroker)
struct LongLineEndToEndTests {
    /// `count` letters from a seeded generator (lz4 cannot shrink them to nothing).
    static func letters(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.bytes(count).map { 0x61 + $0 % 26 }
    }

    /// Joins pieces: records in partition order; a record without `log.piece` is a line, pieces are
    /// concatenated until their `F` piece. Returns the lines with the `log.offset` of their first record,
    /// and every problem found in the pieces (wrong numbering, raw offsets that do not follow on).
    static func reassemble(_ records: [ConsumedRecord], rawOffsets: Bool) -> (lines: [(offset: Int64, value: [UInt8])], problems: [String]) {
        var lines: [(Int64, [UInt8])] = []
        var problems: [String] = []
        let byPartition = Dictionary(grouping: records, by: \.partition)
        for partition in byPartition.keys.sorted() {
            var pending: (offset: Int64, value: [UInt8], next: Int, nextOffset: Int64)? = nil
            for record in byPartition[partition]!.sorted(by: { $0.offset < $1.offset }) {
                let value = record.value ?? []
                let offset = Int64(String(decoding: record.header("log.offset") ?? [], as: UTF8.self)) ?? -1
                guard let label = record.header("log.piece").map({ String(decoding: $0, as: UTF8.self) }) else {
                    if pending != nil { problems.append("partition \(partition): a whole line inside pieces at \(record.offset)") }
                    lines.append((offset, value))
                    continue
                }
                let number = Int(label.dropFirst()) ?? -1
                var current = pending ?? (offset, [], 0, offset)
                if number != current.next { problems.append("piece \(label) where \(current.next) was due (record \(record.offset))") }
                if rawOffsets && offset != current.nextOffset {
                    problems.append("piece \(label) at log.offset \(offset), expected \(current.nextOffset)")
                }
                current.value += value
                current.next += 1
                current.nextOffset = offset + Int64(value.count)
                if label.hasPrefix("F") {
                    lines.append((current.offset, current.value))
                    pending = nil
                } else {
                    pending = current
                }
            }
            if pending != nil { problems.append("partition \(partition): pieces without their F piece") }
        }
        return (lines.sorted { $0.0 < $1.0 }, problems)
    }

    @Test("lines of 10 MB, 3 MB, 1,048,576 and 1,048,577 bytes with the defaults, raw, docker-json and CRI: every byte arrives, the pieces rejoin, nothing lost")
    func longLines() throws {
        let broker = try TansuBroker()
        defer { broker.stop() }
        for topic in ["long-raw", "long-docker", "long-cri"] { try broker.createTopic(topic, partitions: 3) }
        let directory = try TemporaryDirectory("long-lines")
        defer { directory.remove() }
        for name in ["raw", "docker", "cri"] {
            try FileManager.default.createDirectory(atPath: directory.file(name), withIntermediateDirectories: true)
        }
        try """
            state_dir: \(directory.file("state"))
            checkpoint_interval_ms: 100
            host_name: long-host
            inputs:
              - name: raw
                paths: [\(directory.file("raw"))/*.log]
                topic: long-raw
              - name: docker
                paths: [\(directory.file("docker"))/*.log]
                topic: long-docker
                format: docker-json
              - name: cri
                paths: [\(directory.file("cri"))/*.log]
                topic: long-cri
                format: cri
            output:
              kafka:
                bootstrap.servers: \(broker.bootstrap)
            """.write(toFile: directory.file("ferry.yaml"), atomically: true, encoding: .utf8)

        // Raw: the sizes the issue names, around the 1 MiB limits, and ordinary lines between them.
        let rawLines: [[UInt8]] = [
            Array("first".utf8), Self.letters(10_000_000, seed: 1), Array("second".utf8), Self.letters(3_000_000, seed: 2),
            Self.letters(1_048_576, seed: 3), Self.letters(1_048_577, seed: 4), Array("third".utf8), Self.letters(1_048_575, seed: 5),
            [], Array("last".utf8),
        ]
        var raw: [UInt8] = []
        var rawOffsets: [Int64] = []
        for (index, line) in rawLines.enumerated() {
            rawOffsets.append(Int64(raw.count))
            raw += line
            raw += index == 4 ? Array("\r\n".utf8) : [0x0A]
        }
        // docker-json: Docker splits long lines in 16 KiB pieces; a 3 MB and a 10 MB record, and short ones.
        let dockerRecords: [[UInt8]] = [Array("short one".utf8), Self.letters(3_000_000, seed: 6), Self.letters(10_000_000, seed: 7), Array("short two".utf8)]
        var docker: [UInt8] = []
        for record in dockerRecords {
            var start = 0
            repeat {
                let end = min(start + 16_384, record.count)
                let last = end == record.count
                let text = String(decoding: record[start..<end], as: UTF8.self) + (last ? "\\n" : "")
                docker += Array(#"{"log":"\#(text)","stream":"stdout","time":"2026-12-07T00:00:00.000000001Z"}"#.utf8) + [0x0A]
                start = end
            } while start < record.count
        }
        // CRI: P pieces of 8 KiB up to an F line.
        let criRecords: [[UInt8]] = [Array("cri short".utf8), Self.letters(3_000_000, seed: 8), Self.letters(1_048_577, seed: 9), Array("cri end".utf8)]
        var cri: [UInt8] = []
        for record in criRecords {
            var start = 0
            repeat {
                let end = min(start + 8_192, record.count)
                let tag = end == record.count ? "F" : "P"
                cri += Array("2026-12-07T00:00:00.000000001Z stderr \(tag) ".utf8) + record[start..<end] + [0x0A]
                start = end
            } while start < record.count
        }
        try Data(raw).write(to: URL(fileURLWithPath: directory.file("raw/app.log")))
        try Data(docker).write(to: URL(fileURLWithPath: directory.file("docker/c.log")))
        try Data(cri).write(to: URL(fileURLWithPath: directory.file("cri/c.log")))

        let agent = try AgentProcess(config: directory.file("ferry.yaml"), logPath: directory.file("agent.log"))
        let sizes = [raw.count, docker.count, cri.count].reduce(0, +)
        let deadline = Date().addingTimeInterval(180)
        var committed: Int64 = 0
        while Date() < deadline {
            committed = StatusReport.make(stateDirectory: directory.file("state")).rows.reduce(Int64(0)) { $0 + $1.committed }
            if committed >= Int64(sizes) { break }
            usleep(200_000)
        }
        let exit = agent.terminate()
        let log = agent.log
        #expect(committed == Int64(sizes), "committed \(committed) of \(sizes); log: \(log.suffix(3000))")
        #expect(exit.status == 0)
        #expect(!log.contains("bytes lost") && !log.contains("records lost"), "\(log.suffix(3000))")

        let rawOut = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: "long-raw", idle: 5)
        #expect(rawOut.errors.isEmpty, "\(rawOut.errors)")
        let rawJoined = Self.reassemble(rawOut.records, rawOffsets: true)
        #expect(rawJoined.problems.isEmpty, "\(rawJoined.problems.prefix(10))")
        #expect(rawJoined.lines.map(\.value) == rawLines, "raw: \(rawJoined.lines.map(\.value.count)) vs \(rawLines.map(\.count))")
        #expect(rawJoined.lines.map(\.offset) == rawOffsets)
        let pieces = rawOut.records.filter { $0.header("log.piece") != nil }
        #expect(pieces.allSatisfy { ($0.value?.count ?? 0) <= 1 << 20 })
        print("long lines, raw: \(rawOut.records.count) records for \(rawLines.count) lines, \(pieces.count) pieces, largest value \(rawOut.records.map { $0.value?.count ?? 0 }.max() ?? 0) bytes")

        for (topic, expected) in [("long-docker", dockerRecords), ("long-cri", criRecords)] {
            let out = try IndependentConsumer.consume(bootstrap: broker.bootstrap, topic: topic, idle: 5)
            #expect(out.errors.isEmpty, "\(out.errors)")
            let joined = Self.reassemble(out.records, rawOffsets: false)
            #expect(joined.problems.isEmpty, "\(topic): \(joined.problems.prefix(10))")
            #expect(joined.lines.map(\.value) == expected, "\(topic): \(joined.lines.map(\.value.count)) vs \(expected.map(\.count))")
            #expect(out.records.allSatisfy { $0.header("stream") != nil })
            print("long lines, \(topic): \(out.records.count) records for \(expected.count) records joined")
        }
    }
}
