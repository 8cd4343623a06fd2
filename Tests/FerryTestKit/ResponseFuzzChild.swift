import FerryTestSupport
#if canImport(Glibc)
import Glibc
#endif
import KafkaWire
import KafkaWireSamples
import NIOCore

/// `ferry-testkit fuzz-responses <iterations> <seed>`: feeds `iterations` random and mutated frames to
/// every response decoder (spread over its supported versions), through the frame decoder (size
/// prefix) and ``KafkaFrame/decodeResponse(_:version:frame:)``.
///
/// The process limits its own data segment (`RLIMIT_DATA`, 512 MiB) and CPU time (`RLIMIT_CPU`), so an
/// allocation driven by a hostile length, or a decoder that loops, kills it instead of passing. It exits
/// 0 only if every valid frame decoded back to its message, and every failure was a ``KafkaWireError``
/// carrying the bytes it failed on. It prints one line per response type and a total line.
enum ResponseFuzzChild {
    /// The data segment limit: far above what decoding frames of a few KiB needs.
    static let dataLimitBytes: UInt64 = 512 * 1024 * 1024
    /// The CPU time limit, in seconds.
    static let cpuLimitSeconds: UInt64 = 300
    /// The frame decoder's maximum frame size (a mutated size above it must be rejected).
    static let maximumFrameSize = 1 << 20

    /// Counts for one response type.
    struct Tally {
        var frames = 0
        var decoded = 0
        var decodeErrors = 0
        var frameErrors = 0
        var incompleteFrames = 0
        var largestFrame = 0
        var violations: [String] = []

        mutating func add(_ other: Tally) {
            frames += other.frames
            decoded += other.decoded
            decodeErrors += other.decodeErrors
            frameErrors += other.frameErrors
            incompleteFrames += other.incompleteFrames
            largestFrame = max(largestFrame, other.largestFrame)
            violations += other.violations
        }
    }

    static func run(_ arguments: [String]) throws {
        guard arguments.count == 2, let iterations = Int(arguments[0]), iterations > 0, let seed = UInt64(arguments[1]) else {
            print("usage: ferry-testkit fuzz-responses <iterations per response type> <seed>")
            exit(2)
        }
        guard limit(RLIMIT_DATA, to: dataLimitBytes), limit(RLIMIT_CPU, to: cpuLimitSeconds) else {
            print("fuzz-responses: setrlimit failed (errno \(errno))")
            exit(3)
        }
        print("fuzz-responses seed=\(seed) iterations=\(iterations) rlimit_data_bytes=\(dataLimitBytes) rlimit_cpu_s=\(cpuLimitSeconds)")
        var total = Tally()
        total.add(fuzz(ApiVersionsResponse.self, iterations: iterations, seed: seed &+ 1))
        total.add(fuzz(MetadataResponse.self, iterations: iterations, seed: seed &+ 2))
        total.add(fuzz(ProduceResponse.self, iterations: iterations, seed: seed &+ 3))
        total.add(fuzz(InitProducerIdResponse.self, iterations: iterations, seed: seed &+ 4))
        total.add(fuzz(SaslHandshakeResponse.self, iterations: iterations, seed: seed &+ 5))
        total.add(fuzz(SaslAuthenticateResponse.self, iterations: iterations, seed: seed &+ 6))
        total.add(fuzz(CreateTopicsResponse.self, iterations: iterations, seed: seed &+ 7))
        total.add(fuzz(ListOffsetsResponse.self, iterations: iterations, seed: seed &+ 8))
        total.add(fuzz(FetchResponse.self, iterations: iterations, seed: seed &+ 9))
        print(
            "fuzz-responses total frames=\(total.frames) decoded=\(total.decoded) decode_errors=\(total.decodeErrors) "
                + "frame_errors=\(total.frameErrors) incomplete=\(total.incompleteFrames) largest_frame=\(total.largestFrame) "
                + "max_rss_kib=\(PeakMemory.ownHighWaterKiB() ?? -1) violations=\(total.violations.count)")
        for violation in total.violations.prefix(20) {
            print("violation: \(violation)")
        }
        exit(total.violations.isEmpty ? 0 : 1)
    }

    private static func limit(_ resource: __rlimit_resource, to value: UInt64) -> Bool {
        var limits = rlimit(rlim_cur: rlim_t(value), rlim_max: rlim_t(value))
        return setrlimit(__rlimit_resource_t(resource.rawValue), &limits) == 0
    }

    /// Fuzzes one response type over all its versions, `iterations` frames in total.
    static func fuzz<Response: KafkaResponse & KafkaSampleable>(
        _ type: Response.Type, iterations: Int, seed: UInt64
    ) -> Tally {
        let versions = Array(Response.supportedVersions)
        var tally = Tally()
        for (position, version) in versions.enumerated() {
            let share = iterations / versions.count + (position < iterations % versions.count ? 1 : 0)
            tally.add(fuzz(type, version: version, frames: share, seed: seed &* 1000 &+ UInt64(version)))
        }
        print(
            "fuzz-responses type=\(Response.self) versions=\(versions.first ?? 0)-\(versions.last ?? 0) frames=\(tally.frames) "
                + "decoded=\(tally.decoded) decode_errors=\(tally.decodeErrors) frame_errors=\(tally.frameErrors) "
                + "incomplete=\(tally.incompleteFrames) largest_frame=\(tally.largestFrame) violations=\(tally.violations.count)")
        return tally
    }

    private static func fuzz<Response: KafkaResponse & KafkaSampleable>(
        _ type: Response.Type, version: Int16, frames: Int, seed: UInt64
    ) -> Tally {
        var sampler = KafkaSampler(seed: seed, maximumArrayCount: 3, maximumStringLength: 8, maximumBytesLength: 24)
        var tally = Tally()
        // A pool of valid frames; each must decode back to its message before it is mutated.
        var pool: [[UInt8]] = []
        for index in 0..<16 {
            let message = Response.sample(version: version, using: &sampler)
            var buffer = ByteBuffer()
            do {
                try KafkaFrame.encodeResponse(message, version: version, correlationId: Int32(index), into: &buffer)
                let body = buffer.getSlice(at: 4, length: buffer.readableBytes - 4) ?? ByteBuffer()
                let decoded = try KafkaFrame.decodeResponse(Response.self, version: version, frame: body)
                if decoded.body != message || decoded.header.correlationId != Int32(index) {
                    tally.violations.append("\(Response.self) v\(version): valid frame decoded to a different message")
                }
            } catch {
                tally.violations.append("\(Response.self) v\(version): valid frame failed: \(error)")
            }
            pool.append(Array(buffer.readableBytesView))
        }
        let decoder = KafkaFrameDecoder(maximumFrameSize: maximumFrameSize)
        for _ in 0..<frames {
            var bytes = pool[Int.random(in: 0..<pool.count, using: &sampler)]
            for _ in 0..<Int.random(in: 1...3, using: &sampler) {
                mutate(&bytes, using: &sampler)
            }
            tally.frames += 1
            tally.largestFrame = max(tally.largestFrame, bytes.count)
            check(Response.self, version: version, frame: bytes, decoder: decoder, tally: &tally)
        }
        return tally
    }

    /// Runs one frame through the frame decoder and the response decoder, and records what happened.
    private static func check<Response: KafkaResponse>(
        _ type: Response.Type, version: Int16, frame bytes: [UInt8], decoder: KafkaFrameDecoder, tally: inout Tally
    ) {
        var stream = ByteBuffer(bytes: bytes)
        var body: ByteBuffer
        do {
            if let frame = try decoder.decodeFrame(from: &stream) {
                body = frame
            } else {
                tally.incompleteFrames += 1
                body = ByteBuffer(bytes: bytes.dropFirst(4))
            }
        } catch let error as KafkaWireError {
            tally.frameErrors += 1
            if error.bytes.isEmpty {
                tally.violations.append("frame error without bytes: \(error) frame: \(hex(bytes))")
            }
            body = ByteBuffer(bytes: bytes.dropFirst(4))
        } catch {
            tally.violations.append("frame decoder threw a non-wire error: \(error) frame: \(hex(bytes))")
            return
        }
        // Every frame reaches the response decoder, even when its size prefix is wrong: a truncated or
        // over-long body is exactly what the decoder must survive.
        do {
            _ = try KafkaFrame.decodeResponse(Response.self, version: version, frame: body)
            tally.decoded += 1
        } catch let error as KafkaWireError {
            tally.decodeErrors += 1
            let expected = Array(body.readableBytesView.prefix(KafkaWireError.maximumCapturedBytes))
            if error.bytes != expected {
                tally.violations.append(
                    "\(Response.self) v\(version): error does not carry the frame's bytes (\(error.bytes.count) vs \(expected.count)): "
                        + "\(error) frame: \(hex(bytes))")
            } else if error.bytes.isEmpty && body.readableBytes > 0 {
                tally.violations.append("\(Response.self) v\(version): error without bytes: \(error)")
            }
        } catch {
            tally.violations.append("\(Response.self) v\(version): non-wire error \(error) frame: \(hex(bytes))")
        }
    }

    /// Boundary values written over the input by the mutations.
    private static let boundaryBytes: [UInt8] = [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF]
    private static let boundary16: [UInt16] = [0x0000, 0x0001, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF]
    private static let boundary32: [UInt32] = [
        0x0000_0000, 0x0000_0001, 0x0000_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFE, 0xFFFF_FFFF, 0x0010_0001,
    ]
    private static let hostileVarints: [[UInt8]] = [
        [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0xFF, 0xFF, 0xFF, 0xFF, 0x7F], [0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0xFF, 0xFF, 0xFF, 0x07], [0x00], [0x80],
    ]

    /// Applies one random mutation to a frame (size prefix included).
    static func mutate(_ bytes: inout [UInt8], using sampler: inout KafkaSampler) {
        func position(_ width: Int = 1) -> Int? {
            bytes.count >= width ? Int.random(in: 0...(bytes.count - width), using: &sampler) : nil
        }
        func overwrite(_ values: [UInt8], at index: Int) {
            for (offset, value) in values.enumerated() where index + offset < bytes.count {
                bytes[index + offset] = value
            }
        }
        switch Int.random(in: 0..<12, using: &sampler) {
        case 0:  // flip one bit
            if let index = position() { bytes[index] ^= 1 << UInt8.random(in: 0..<8, using: &sampler) }
        case 1:  // one byte to a boundary value
            if let index = position() { bytes[index] = boundaryBytes.randomElement(using: &sampler)! }
        case 2:  // truncate
            let count = Int.random(in: 0...bytes.count, using: &sampler)
            bytes.removeLast(count)
        case 3:  // extend with random bytes
            bytes += (0..<Int.random(in: 1...16, using: &sampler)).map { _ in UInt8.random(in: 0...255, using: &sampler) }
        case 4:  // an int16 length or count set to a boundary value
            if let index = position(2) {
                let value = boundary16.randomElement(using: &sampler)!
                overwrite([UInt8(value >> 8), UInt8(value & 0xFF)], at: index)
            }
        case 5:  // an int32 length or count set to a boundary value (huge, negative, -1)
            if let index = position(4) {
                let value = boundary32.randomElement(using: &sampler)!
                overwrite((0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }, at: index)
            }
        case 6:  // a huge, overlong or cut varint
            if let index = position() { overwrite(hostileVarints.randomElement(using: &sampler)!, at: index) }
        case 7:  // the size prefix set to a boundary or random value
            if bytes.count >= 4 {
                let value = sampler.oneIn(2) ? boundary32.randomElement(using: &sampler)! : UInt32.random(in: 0...0x200, using: &sampler)
                overwrite((0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }, at: 0)
            }
        case 8:  // a span of random bytes
            if let index = position() {
                let count = Int.random(in: 1...8, using: &sampler)
                overwrite((0..<count).map { _ in UInt8.random(in: 0...255, using: &sampler) }, at: index)
            }
        case 9:  // insert or delete one byte
            if let index = position() {
                if sampler.bool() { bytes.remove(at: index) } else { bytes.insert(UInt8.random(in: 0...255, using: &sampler), at: index) }
            }
        case 10:  // a random body behind a correct size prefix
            let count = Int.random(in: 0...64, using: &sampler)
            let body = (0..<count).map { _ in UInt8.random(in: 0...255, using: &sampler) }
            bytes = (0..<4).map { UInt8(truncatingIfNeeded: UInt32(count) >> (24 - 8 * $0)) } + body
        default:  // the size prefix fixed up to the (mutated) body length
            if bytes.count >= 4 {
                let length = UInt32(bytes.count - 4)
                overwrite((0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * $0)) }, at: 0)
            }
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in bytes.prefix(256) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return bytes.count > 256 ? text + "..." : text
    }
}
