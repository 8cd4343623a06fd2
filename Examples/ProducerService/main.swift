// A service that owns a producer, the server-side Swift way: the producer is a swift-service-lifecycle
// `Service` in a `ServiceGroup` beside the application's own services. On SIGTERM or SIGINT the group shuts
// down gracefully: the heartbeat service stops, then the producer flushes and closes, waiting for every
// record's outcome. Sends from tasks suspend while the buffer is full; they never block a thread.
//
// Run: swift run producer-service [bootstrap servers] [topic]   (stop it with Ctrl-C)
import KafkaProducer
import Logging
import ServiceLifecycle

let arguments = Array(CommandLine.arguments.dropFirst())
let bootstrap = arguments.count > 0 ? arguments[0] : "localhost:9092"
let topic = arguments.count > 1 ? arguments[1] : "heartbeats"
let logger = Logger(label: "producer-service")

/// Sends a heartbeat record every 100 ms until graceful shutdown.
struct Heartbeats: Service {
    let producer: KafkaProducer
    let topic: String
    let logger: Logger

    func run() async throws {
        // cancelWhenGracefulShutdown: the loop ends (its sleep is cancelled) when the group shuts down.
        try await cancelWhenGracefulShutdown {
            var beat = 0
            while !Task.isCancelled {
                beat += 1
                do {
                    let metadata = try await producer.send(ProducerRecord(topic: topic, key: "host-a", value: "beat \(beat)"))
                    logger.info("beat", metadata: ["partition": "\(metadata.partition)", "offset": "\(metadata.offset)"])
                } catch let error as ProducerError {
                    logger.warning("beat not delivered", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(100))  // cancelled at shutdown: the loop ends
            }
        }
    }
}

let producer = try KafkaProducer(properties: ["bootstrap.servers": bootstrap], logger: logger)
let heartbeats = Heartbeats(producer: producer, topic: topic, logger: logger)
// The producer is listed first: graceful shutdown goes in reverse order, so it closes after the services
// that send through it have stopped.
let group = ServiceGroup(
    configuration: .init(
        services: [.init(service: producer), .init(service: heartbeats)],
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger))
try await group.run()
