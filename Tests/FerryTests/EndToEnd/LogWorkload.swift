import FerryTestSupport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Log files written by a test while the agent runs, and the check of what reached Kafka against them.
///
/// Every line is a function of (input, file, generation, sequence), so the check regenerates each expected
/// line instead of remembering a million of them. A file may be rotated (renamed to `NAME.1`, which the
/// inputs' `*.log` patterns do not match, and created again as generation 1).
final class LogWorkload: @unchecked Sendable {
    struct FileSpec {
        var input: String
        var directory: String
        var name: String
        var lines: Int
        /// Rotate (rename + create) after this many lines, if set.
        var rotateAfter: Int?
        var path: String { "\(directory)/\(name)" }
    }

    let files: [FileSpec]
    let hostName: String

    init(files: [FileSpec], hostName: String) {
        self.files = files
        self.hostName = hostName
    }

    var totalLines: Int { files.reduce(0) { $0 + $1.lines } }

    /// The line for a position (without its newline): `input/file/generation/sequence|payload`, ~220 bytes.
    static func line(input: String, file: String, generation: Int, sequence: Int) -> [UInt8] {
        var hash = UInt64(truncatingIfNeeded: sequence &* 2_654_435_761 &+ generation &* 97) ^ 0x9E37_79B9_7F4A_7C15
        let prefix = "\(input)/\(file)/\(generation)/\(sequence)|GET /api/v1/items/\(sequence % 977) 200 "
        var bytes = Array(prefix.utf8)
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789 ".utf8)
        let length = 200 - bytes.count + Int(hash % 40)
        for _ in 0..<max(length, 10) {
            hash = hash &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes.append(alphabet[Int((hash >> 33) % UInt64(alphabet.count))])
        }
        return bytes
    }

    /// Writes every file, round robin in blocks of `block` lines, `linesPerSecond` in total at most (0 = as
    /// fast as possible), rotating where asked. Runs on the calling thread.
    func write(block: Int = 500, linesPerSecond: Int = 0) throws {
        var written = [Int](repeating: 0, count: files.count)
        var generation = [Int](repeating: 0, count: files.count)
        var sequence = [Int](repeating: 0, count: files.count)
        var descriptors = try files.map { try Self.openForAppend($0.path) }
        defer { descriptors.forEach { close($0) } }
        let start = Date()
        var total = 0
        while written.enumerated().contains(where: { $0.element < files[$0.offset].lines }) {
            for (index, file) in files.enumerated() where written[index] < file.lines {
                var chunk: [UInt8] = []
                let count = min(block, file.lines - written[index])
                for _ in 0..<count {
                    if let rotate = file.rotateAfter, written[index] == rotate, generation[index] == 0 {
                        try Self.writeAll(descriptors[index], chunk)
                        chunk.removeAll()
                        close(descriptors[index])
                        guard rename(file.path, file.path + ".1") == 0 else {
                            throw Subprocess.Failure(description: "rename \(file.path): errno \(errno)")
                        }
                        descriptors[index] = try Self.openForAppend(file.path)
                        generation[index] = 1
                        sequence[index] = 0
                    }
                    chunk += Self.line(input: file.input, file: file.name, generation: generation[index], sequence: sequence[index])
                    chunk.append(0x0A)
                    sequence[index] += 1
                    written[index] += 1
                }
                try Self.writeAll(descriptors[index], chunk)
                total += count
                if linesPerSecond > 0 {
                    let due = Double(total) / Double(linesPerSecond)
                    let elapsed = Date().timeIntervalSince(start)
                    if due > elapsed { usleep(UInt32((due - elapsed) * 1_000_000)) }
                }
            }
        }
    }

    /// ``write(block:linesPerSecond:)`` on a thread of its own; the semaphore is signalled when it ends.
    func writeInBackground(block: Int = 500, linesPerSecond: Int = 0) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            try? self.write(block: block, linesPerSecond: linesPerSecond)
            done.signal()
        }
        return done
    }

    static func openForAppend(_ path: String) throws -> Int32 {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Subprocess.Failure(description: "open \(path): errno \(errno)") }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let count = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                guard count > 0 else { throw Subprocess.Failure(description: "write: errno \(errno)") }
                offset += count
            }
        }
    }

    /// What the check found.
    struct Verdict: CustomStringConvertible {
        var expected = 0
        var consumed = 0
        var missing = 0
        var duplicates = 0
        var corrupt = 0
        var outOfOrder = 0
        var badHeaders = 0
        var firstProblems: [String] = []

        var description: String {
            "expected \(expected), consumed \(consumed), missing \(missing), duplicates \(duplicates), corrupt \(corrupt), "
                + "out of order \(outOfOrder), bad headers \(badHeaders)\(firstProblems.isEmpty ? "" : "; e.g. \(firstProblems.prefix(5))")"
        }
    }

    /// Checks the records against the files: every line present with exact bytes, headers right, and, for
    /// the inputs in `orderedInputs` (key: path), each file's lines in order within their partition.
    func verify(_ records: [ConsumedRecord], orderedInputs: Set<String>, checkOrder: Bool = true) -> Verdict {
        var verdict = Verdict()
        // (input/file/generation) -> count of each sequence seen, and offsets of each line.
        var seen: [String: [UInt8]] = [:]
        var offsets: [String: [Int64]] = [:]
        var paths: [String: String] = [:]
        for file in files {
            let rotated = file.rotateAfter.map { min($0, file.lines) }
            for generation in 0...(rotated == nil ? 0 : 1) {
                let count = generation == 0 ? (rotated ?? file.lines) : file.lines - rotated!
                let key = "\(file.input)/\(file.name)/\(generation)"
                seen[key] = [UInt8](repeating: 0, count: count)
                var offset: Int64 = 0
                var list: [Int64] = []
                list.reserveCapacity(count)
                for sequence in 0..<count {
                    list.append(offset)
                    offset += Int64(Self.line(input: file.input, file: file.name, generation: generation, sequence: sequence).count + 1)
                }
                offsets[key] = list
                paths[key] = file.path
                verdict.expected += count
            }
        }
        var lastSequence: [String: (partition: Int, sequence: Int)] = [:]
        for record in records.sorted(by: { ($0.partition, $0.offset) < ($1.partition, $1.offset) }) {
            verdict.consumed += 1
            let value = record.value ?? []
            guard let bar = value.firstIndex(of: UInt8(ascii: "|")) else {
                verdict.corrupt += 1
                continue
            }
            let parts = String(decoding: value[..<bar], as: UTF8.self).split(separator: "/")
            guard parts.count == 4, let generation = Int(parts[2]), let sequence = Int(parts[3]) else {
                verdict.corrupt += 1
                continue
            }
            let key = "\(parts[0])/\(parts[1])/\(generation)"
            guard var flags = seen[key], sequence < flags.count,
                value == Self.line(input: String(parts[0]), file: String(parts[1]), generation: generation, sequence: sequence)
            else {
                verdict.corrupt += 1
                if verdict.firstProblems.count < 5 { verdict.firstProblems.append("corrupt: \(String(decoding: value.prefix(60), as: UTF8.self))") }
                continue
            }
            if flags[sequence] > 0 { verdict.duplicates += 1 }
            flags[sequence] = min(flags[sequence] &+ 1, 200)
            seen[key] = flags
            let path = paths[key]!
            let pathHeader = record.header("log.file.path").map { String(decoding: $0, as: UTF8.self) }
            let offsetHeader = record.header("log.offset").map { String(decoding: $0, as: UTF8.self) }
            let hostHeader = record.header("host.name").map { String(decoding: $0, as: UTF8.self) }
            if !(pathHeader == path || pathHeader == path + ".1") || offsetHeader != "\(offsets[key]![sequence])"
                || hostHeader != hostName
            {
                verdict.badHeaders += 1
                if verdict.firstProblems.count < 5 {
                    verdict.firstProblems.append("headers of \(key)/\(sequence): \(pathHeader ?? "nil") \(offsetHeader ?? "nil") \(hostHeader ?? "nil")")
                }
            }
            if checkOrder && orderedInputs.contains(String(parts[0])) {
                if let last = lastSequence[key] {
                    if last.partition != record.partition || sequence <= last.sequence {
                        verdict.outOfOrder += 1
                        if verdict.firstProblems.count < 5 {
                            verdict.firstProblems.append("order of \(key): \(sequence) after \(last.sequence) (partition \(last.partition) -> \(record.partition))")
                        }
                    }
                }
                lastSequence[key] = (record.partition, sequence)
            }
        }
        for (key, flags) in seen {
            let missing = flags.filter { $0 == 0 }.count
            verdict.missing += missing
            if missing > 0, verdict.firstProblems.count < 5 {
                verdict.firstProblems.append("missing in \(key): \(missing), first \(flags.firstIndex(of: 0) ?? -1)")
            }
        }
        return verdict
    }
}
