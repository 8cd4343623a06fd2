import ServiceLifecycle

/// A producer is a swift-service-lifecycle `Service`: put it in the application's `ServiceGroup` and it
/// runs until the group's graceful shutdown, then flushes and closes (waiting for every record's outcome),
/// as server-side Swift libraries do. Cancelled instead, it closes at once, reporting what is left.
extension KafkaProducer: Service {
    /// Runs until the service group shuts down gracefully, then flushes and closes (waiting for every
    /// record's outcome); cancelled, closes at once.
    public func run() async throws {
        do {
            try await gracefulShutdown()
        } catch {
            await close(timeout: .zero)
            return
        }
        await flush()
        await close()
    }
}
