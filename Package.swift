// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Ferry",
    platforms: [.macOS(.v15)],  // Synchronization's Mutex and Atomic
    products: [
        .executable(name: "ferry", targets: ["ferry"]),
        .executable(name: "ferry-bench", targets: ["FerryBench"]),
        .executable(name: "ferry-testkit", targets: ["FerryTestKit"]),
        .executable(name: "quick-start", targets: ["QuickStart"]),
        .executable(name: "high-throughput", targets: ["HighThroughput"]),
        .executable(name: "producer-service", targets: ["ProducerService"]),
        .library(name: "KafkaWire", targets: ["KafkaWire"]),
        .library(name: "KafkaCompression", targets: ["KafkaCompression"]),
        .library(name: "KafkaProducer", targets: ["KafkaProducer"]),
        .library(name: "FileTailing", targets: ["FileTailing"]),
        .library(name: "Checkpointing", targets: ["Checkpointing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // TLS to brokers (security.protocol SSL, SASL_SSL): BoringSSL inside, no system OpenSSL.
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        // SASL SCRAM (RFC 5802/7677): SHA-2, HMAC (Crypto) and PBKDF2 (CryptoExtras).
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        // `ferry run`'s /metrics (the Prometheus text format; swift-metrics' handler types underneath).
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // `swift package generate-documentation --target KafkaProducer` (the DocC check in make test).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries from Debian and our small C code.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .target(name: "CCRC32C"),

        // Pure Kafka wire layer: primitives, messages, record batches, error codes. No sockets.
        .target(
            name: "KafkaWire",
            dependencies: [
                "CCRC32C",
                "KafkaCompression",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // gzip / LZ4 / zstd / snappy codecs over the C libraries; knows nothing of Kafka.
        .target(
            name: "KafkaCompression",
            dependencies: ["CZlib", "CLZ4", "CZstd"]
        ),
        // The Kafka producer: pure state machines plus one channel handler doing the I/O.
        .target(
            name: "KafkaProducer",
            dependencies: [
                "KafkaWire",
                "KafkaCompression",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ]
        ),
        // Examples of the producer library (README, "The Kafka producer"); built by `make test`, and the
        // quick-start is run against tansu by ProducerAPITests.
        .executableTarget(name: "QuickStart", dependencies: ["KafkaProducer"], path: "Examples/QuickStart"),
        .executableTarget(name: "HighThroughput", dependencies: ["KafkaProducer"], path: "Examples/HighThroughput"),
        .executableTarget(
            name: "ProducerService",
            dependencies: [
                "KafkaProducer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Examples/ProducerService"),
        // File discovery, identity, rotation handling and line framing.
        .target(
            name: "FileTailing",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]
        ),
        // The ack ledger and the durable checkpoint store.
        .target(
            name: "Checkpointing",
            dependencies: [
                "CCRC32C",
                "FileTailing",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The agent: configuration, pipeline wiring, status.
        .target(
            name: "Ferry",
            dependencies: [
                "KafkaWire",
                "KafkaCompression",
                "KafkaProducer",
                "FileTailing",
                "Checkpointing",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // The command line.
        .executableTarget(
            name: "ferry",
            dependencies: [
                "Ferry",
                "KafkaProducer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Benchmarks that print figures (run in release by scripts/bench-*.sh).
        .executableTarget(
            name: "FerryBench",
            dependencies: [
                "KafkaWire",
                "KafkaCompression",
                "FileTailing",
                "Checkpointing",
                "CZlib",
                "CLZ4",
                "CCRC32C",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Child processes that tests start and kill (crash tests, writers).
        .executableTarget(
            name: "FerryTestKit",
            dependencies: [
                "KafkaWire",
                "KafkaWireSamples",
                "KafkaCompression",
                "KafkaProducer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                "FileTailing",
                "Checkpointing",
                "FerryTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/FerryTestKit"
        ),

        // Shared test helpers: the tansu broker, the Python verifiers, temporary directories.
        .target(
            name: "FerryTestSupport",
            dependencies: [
                "KafkaWire",
                "Checkpointing",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/FerryTestSupport"
        ),
        // Random valid Kafka messages (seeded) for property tests and the response fuzzer: test support, kept
        // out of the production library.
        .target(
            name: "KafkaWireSamples",
            dependencies: ["KafkaWire", .product(name: "NIOCore", package: "swift-nio")],
            path: "Tests/KafkaWireSamples"
        ),
        // The test tiers (tags and conditions), for every test target.
        .target(
            name: "FerryTestTags",
            dependencies: ["FerryTestSupport"],
            path: "Tests/FerryTestTags"
        ),
        .testTarget(
            name: "KafkaWireTests",
            dependencies: [
                "KafkaWire", "KafkaWireSamples", "KafkaCompression", "FerryTestSupport", "FerryTestTags",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "KafkaCompressionTests",
            dependencies: ["KafkaCompression", "CZstd", "FerryTestSupport", "FerryTestTags"]
        ),
        .testTarget(
            name: "KafkaProducerTests",
            dependencies: [
                "KafkaProducer", "KafkaWire", "FerryTestSupport", "FerryTestTags",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "FileTailingTests", dependencies: ["FileTailing", "FerryTestSupport", "FerryTestTags"]),
        .testTarget(name: "CheckpointingTests", dependencies: ["Checkpointing", "FerryTestSupport", "FerryTestTags"]),
        .testTarget(
            name: "FerryTests",
            dependencies: [
                "Ferry", "FerryTestSupport", "FerryTestTags", "FileTailing", "Checkpointing", "KafkaProducer", "KafkaWire",
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
    ]
)
