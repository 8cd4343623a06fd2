import Checkpointing
import FileTailing
import KafkaProducer
import KafkaWire
import Prometheus
import Synchronization

/// `/metrics`: the agent's counters in the Prometheus text format, through swift-prometheus's registry
/// (swift-metrics' handler types). The pipeline keeps its own atomics on the hot path; a scrape copies them
/// into the registry, under a lock, then renders it. Names follow Prometheus conventions: `ferry_` prefix,
/// `_total` counters, base units (bytes, seconds).
final class AgentMetrics: Sendable {
    /// Where the figures come from.
    struct Sources: Sendable {
        let counters: PipelineCounters
        let producer: KafkaProducer
        let pipeline: Pipeline
        let checkpoint: @Sendable () -> CheckpointWriterStatus
        let health: AgentHealth
        let inputs: [String]
        let http: HTTPEndpoint.Counters
    }

    /// At most this many per-file lag series (`http.metrics_per_file`); the files beyond are only in their
    /// input's series.
    static let maxFileSeries = 1_000

    private let sources: Sources
    private let perFile: Bool
    private let registry = PrometheusCollectorRegistry()
    /// Per-file series made so far, by path (removed when the file is released).
    private let scrape = Mutex<[String: Gauge]>([:])

    init(sources: Sources, perFile: Bool) {
        self.sources = sources
        self.perFile = perFile
    }

    private func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Int) {
        let counter = registry.makeCounter(
            descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
        counter.reset()
        counter.increment(by: Int64(max(0, value)))
    }

    private func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
        registry.makeGauge(descriptor: MetricNameDescriptor(metricName: name, unitName: "", helpText: help), labels: labels)
            .set(to: value)
    }

    /// Copies every figure into the registry and renders it.
    func render() -> [UInt8] {
        scrape.withLock { fileGauges in
            update(&fileGauges)
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 << 10)
            registry.emit(into: &buffer)
            return buffer
        }
    }

    private func update(_ fileGauges: inout [String: Gauge]) {
        let c = sources.counters
        counter("ferry_lines_read_total", "Lines read from files.", [], c.linesRead.load(ordering: .relaxed))
        counter("ferry_read_bytes_total", "Bytes of lines read from files (terminators included).", [], c.bytesRead.load(ordering: .relaxed))
        counter("ferry_records_sent_total", "Records handed to the Kafka producer.", [], c.recordsSent.load(ordering: .relaxed))
        counter("ferry_records_acknowledged_total", "Records Kafka acknowledged.", [], c.recordsAcknowledged.load(ordering: .relaxed))
        counter("ferry_format_errors_total", "Lines a container format could not read, shipped raw.", [], c.formatErrors.load(ordering: .relaxed))
        counter("ferry_read_pauses_total", "Times reading paused because Kafka did not keep up.", [], c.pauses.load(ordering: .relaxed))
        counter("ferry_read_deferrals_total", "Times an input's lines were deferred because its topic could not take them.", [], c.deferrals.load(ordering: .relaxed))

        // Bytes lost, by reason: every reason is always present, so that `== 0` can be checked.
        let lostHelp = "Bytes lost, by reason: never read (the file was truncated or deleted first) or given up after reading."
        let recordsLostHelp = "Records given up after they were read, by reason."
        counter("ferry_lost_bytes_total", lostHelp, [("reason", "truncated_before_delivery")], c.bytesLostTruncated.load(ordering: .relaxed))
        counter("ferry_lost_bytes_total", lostHelp, [("reason", "deleted_before_delivery")], c.bytesLostDeleted.load(ordering: .relaxed))
        let lost = c.lost
        for reason in DeliveryLoss.allCases {
            let figures = lost[reason] ?? (0, 0)
            counter("ferry_lost_bytes_total", lostHelp, [("reason", reason.rawValue)], figures.bytes)
            counter("ferry_lost_records_total", recordsLostHelp, [("reason", reason.rawValue)], figures.records)
        }

        // The producer.
        let p = sources.producer.counters
        counter("ferry_kafka_requests_total", "Produce requests written.", [], p.requestsSent.load(ordering: .relaxed))
        counter("ferry_kafka_sent_bytes_total", "Bytes of record batches written to brokers (compressed; retries included).", [], p.batchBytesSent.load(ordering: .relaxed))
        counter("ferry_kafka_batches_total", "Record batches Kafka acknowledged.", [], p.batchesDelivered.load(ordering: .relaxed))
        let batchBytesHelp = "Bytes of the record batches Kafka acknowledged, as sent (compressed) and before compression."
        counter("ferry_kafka_batch_bytes_total", batchBytesHelp, [("form", "compressed")], p.deliveredBatchBytes.load(ordering: .relaxed))
        counter("ferry_kafka_batch_bytes_total", batchBytesHelp, [("form", "uncompressed")], p.deliveredUncompressedBytes.load(ordering: .relaxed))
        counter("ferry_kafka_retries_total", "Batch attempts that failed and were queued again.", [], p.retries.load(ordering: .relaxed))
        counter("ferry_kafka_records_failed_total", "Records the producer reported as not delivered.", [], p.recordsFailed.load(ordering: .relaxed))
        counter("ferry_kafka_connection_failures_total", "Broker connections that closed or failed.", [], p.connectionFailures.load(ordering: .relaxed))
        let errorHelp = "Partition errors in Produce responses, by Kafka error code (retried or final)."
        for (code, count) in p.brokerErrors {
            counter("ferry_kafka_errors_total", errorHelp, [("code", "\(code)"), ("error", KafkaErrorCode(rawValue: code).name)], count)
        }
        gauge("ferry_kafka_buffered_bytes", "Bytes of records held by the producer (batched or awaiting acknowledgement).", [], Double(sources.producer.bufferedBytes))
        let health = sources.health.current
        gauge("ferry_ready", "1 once a broker has answered Metadata (/ready answers 200).", [], health.ready ? 1 : 0)
        gauge("ferry_healthy", "1 while /health answers 200.", [], health.problem == nil ? 1 : 0)

        // The tailer.
        if let t = sources.pipeline.tailer?.counters {
            counter("ferry_truncations_total", "File truncations detected (copytruncate, rewrite in place).", [], Int(clamping: t.truncations))
            counter("ferry_rotations_total", "Files renamed, moved out of the patterns or replaced at their path.", [], Int(clamping: t.rotations))
            counter("ferry_files_deleted_total", "Files deleted while tracked.", [], Int(clamping: t.deletions))
            counter("ferry_files_discovered_total", "Files found and opened for the first time.", [], Int(clamping: t.filesDiscovered))
            counter("ferry_long_lines_total", "Lines longer than max_line_bytes, by what was done.", [("action", "split")], Int(clamping: t.longLinesSplit))
            counter("ferry_long_lines_total", "Lines longer than max_line_bytes, by what was done.", [("action", "truncated")], Int(clamping: t.longLinesTruncated))
            gauge("ferry_files_open", "Descriptors open on tailed files.", [], Double(t.filesOpen))
            gauge("ferry_files_watched", "Files tracked (open, closed while idle, or waiting for a descriptor).", [], Double(t.filesWatched))
        }

        // Checkpoints.
        let checkpoint = sources.checkpoint()
        counter("ferry_checkpoint_writes_total", "Checkpoints written and made durable.", [], Int(clamping: checkpoint.counters.commitsWritten))
        counter("ferry_checkpoint_write_failures_total", "Checkpoint writes that failed (each retried).", [], Int(clamping: checkpoint.counters.writeFailures))
        if let failure = checkpoint.lastFailure {
            gauge("ferry_checkpoint_last_failure_age_seconds", "Seconds since a checkpoint write last failed.", [], failure.duration(to: .now).seconds)
        }
        if let written = checkpoint.counters.lastSuccessfulWrite {
            gauge("ferry_checkpoint_last_write_timestamp_seconds", "When the last checkpoint was written (Unix time).", [], Double(written.millisecondsSinceEpoch) / 1e3)
        }

        // The endpoint itself.
        let http = sources.http
        counter("ferry_http_requests_total", "HTTP requests answered.", [], http.requests.load(ordering: .relaxed))
        let droppedHelp = "HTTP connections closed by the endpoint's bounds, by which."
        counter("ferry_http_dropped_connections_total", droppedHelp, [("reason", "too_many")], http.refusedConnections.load(ordering: .relaxed))
        counter("ferry_http_dropped_connections_total", droppedHelp, [("reason", "timeout")], http.timedOut.load(ordering: .relaxed))
        counter("ferry_http_dropped_connections_total", droppedHelp, [("reason", "request_too_large")], http.oversized.load(ordering: .relaxed))

        // Lag: bytes on disk not yet acknowledged, per input (and per file when asked).
        var lagByInput = Dictionary(uniqueKeysWithValues: sources.inputs.map { ($0, 0.0) })
        var seen = Set<String>()
        for file in sources.pipeline.lagOnDisk() {
            let lag = Double(file.lag)
            lagByInput[file.input, default: 0] += lag
            if perFile, fileGauges[file.path] != nil || fileGauges.count < Self.maxFileSeries {
                seen.insert(file.path)
                let gauge = fileGauges[file.path] ?? registry.makeGauge(
                    descriptor: MetricNameDescriptor(metricName: "ferry_file_lag_bytes", unitName: "", helpText: "Bytes of a file not yet acknowledged by Kafka (http.metrics_per_file)."),
                    labels: [("input", file.input), ("path", file.path)])
                fileGauges[file.path] = gauge
                gauge.set(to: lag)
            }
        }
        for (path, gauge) in fileGauges where !seen.contains(path) {
            registry.unregisterGauge(gauge)
            fileGauges[path] = nil
        }
        for (input, lag) in lagByInput {
            gauge("ferry_input_lag_bytes", "Bytes of an input's files on disk not yet acknowledged by Kafka.", [("input", input)], lag)
        }
    }
}
