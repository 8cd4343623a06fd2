import Checkpointing
import FileTailing
import KafkaProducer
import Logging
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// `ferry run`: the checkpoint store, the resume plan, the producer, the pipeline and the tailer, started
/// in that order and stopped in reverse: stop reading, wait up to `shutdown_timeout_ms` for Kafka's
/// acknowledgements, write the last checkpoint.
public final class Agent: Sendable {
    let configuration: AgentConfiguration
    let logger: Logger
    /// What the agent did (for logs, tests and the metrics endpoint).
    public let counters = PipelineCounters()
    let stopRequested = ConditionLock(value: 0)

    public init(configuration: AgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The host name for the `host.name` header.
    var hostName: String {
        if let name = configuration.hostName { return name }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Asks a running agent to stop (as SIGTERM does).
    public func requestStop() {
        stopRequested.lock()
        stopRequested.unlock(withValue: 1)
    }

    /// Runs until SIGTERM/SIGINT (or ``requestStop()``). Returns when everything is stopped; throws when
    /// the agent cannot start. `installSignalHandlers` is false in tests that stop it themselves.
    public func run(installSignalHandlers: Bool = true) async throws {
        for warning in configuration.warnings { logger.warning("configuration", metadata: ["warning": "\(warning)"]) }
        if geteuid() == 0 {
            logger.warning(
                "running as root: Ferry needs no privilege beyond reading its files; run it as its own user (systemd/ferry.service runs it with DynamicUser=yes and SupplementaryGroups=adm; README, 'Least privilege')")
        }
        let checkpointConfiguration = CheckpointConfiguration(
            directory: configuration.stateDirectory, interval: .milliseconds(configuration.checkpointIntervalMs),
            forgetAfter: .seconds(configuration.forgetAfterHours * 3600),
            onCorruptCheckpoint: configuration.onCorruptCheckpoint)
        let (store, loaded): (CheckpointStore, CheckpointLoadResult)
        do {
            (store, loaded) = try CheckpointStore.open(configuration: checkpointConfiguration, logger: logger)
        } catch {
            throw AgentError(error.code == .stateDirectoryLocked ? .locked : .startup, error.description)
        }
        defer { store.close() }
        let plan = try resumePlan(loaded: loaded, store: store)

        // The producer reports to the pipeline, which is made with the producer: a box joins them.
        let pipelineBox = NIOLockedValueBox<Pipeline?>(nil)
        let producer: KafkaProducer
        do {
            producer = try KafkaProducer(
                configuration: try ProducerConfiguration(properties: configuration.producerProperties), logger: logger,
                onDelivery: { report in pipelineBox.withLockedValue { $0 }?.delivered(report) })
        } catch {
            throw AgentError(.startup, "cannot create the Kafka producer: \(error)")
        }
        let writerBox = NIOLockedValueBox<CheckpointWriter?>(nil)
        let pipeline = Pipeline(
            configuration: configuration, hostName: hostName, producer: producer, carried: plan.carried, logger: logger,
            counters: counters, onChange: { writerBox.withLockedValue { $0 }?.notify() })
        pipelineBox.withLockedValue { $0 = pipeline }
        let writer = CheckpointWriter(
            store: store, pipeline: pipeline, interval: checkpointConfiguration.interval,
            forgetAfter: checkpointConfiguration.forgetAfter, logger: logger)
        writerBox.withLockedValue { $0 = writer }
        try writer.start()
        writer.notify()

        let decisions = plan.decisions
        let unknownStart = plan.unknownStart
        var tailerConfiguration = plan.tailerConfiguration
        let descriptors = ProcessLimits.raiseDescriptorLimit()
        let budget = ProcessLimits.fileBudget(configured: tailerConfiguration.maxOpenFiles, softLimit: descriptors.after)
        if budget < tailerConfiguration.maxOpenFiles {
            logger.warning(
                "the descriptor limit leaves room for fewer open files than tailing.max_open_files; using fewer",
                metadata: ["max_open_files": "\(tailerConfiguration.maxOpenFiles)", "used": "\(budget)",
                           "rlimit_nofile": "\(descriptors.after)"])
            tailerConfiguration.maxOpenFiles = budget
        }
        let tailer: Tailer
        do {
            tailer = try Tailer(
                configuration: tailerConfiguration, logger: logger,
                startOffset: { file in Self.start(for: file, decisions: decisions, unknownStart: unknownStart) },
                consumer: { pipeline.handle($0) })
        } catch {
            writer.stop()
            await producer.close(timeout: .seconds(1))
            throw AgentError(.startup, "cannot start tailing: \(error)")
        }
        pipeline.tailer = tailer
        var signals: SignalWatcher? = nil
        if installSignalHandlers {
            signals = try SignalWatcher { [self] number in
                if number == SIGHUP {
                    logger.warning("SIGHUP received: reloading the configuration is not supported yet; carrying on unchanged")
                    return
                }
                logger.notice("stopping", metadata: ["signal": "\(number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : "\(number)")"])
                requestStop()
            }
        }
        do {
            try tailer.start()
        } catch {
            signals?.stop()
            writer.stop()
            await producer.close(timeout: .seconds(1))
            throw AgentError(.startup, "cannot start tailing: \(error)")
        }
        logger.notice(
            "ferry is running",
            metadata: ["inputs": "\(configuration.inputs.map(\.name).joined(separator: ","))",
                       "state_dir": "\(configuration.stateDirectory)", "files.resumed": "\(plan.resumedCount)",
                       "user": "\(ProcessLimits.userDescription)", "rlimit_nofile": "\(descriptors.after)"])

        // The monitor: /health and /ready, and under systemd's Type=notify READY, STATUS and WATCHDOG.
        let notifier = SystemdNotifier(environment: ProcessEnvironment.current())
        let health = AgentHealth()
        let monitor: BackgroundThread
        do {
            monitor = try startMonitor(notifier, producer: producer, pipeline: pipeline, health: health, checkpoint: { writer.status })
        } catch {
            signals?.stop()
            tailer.stop()
            writer.stop()
            await producer.close(timeout: .seconds(1))
            throw error
        }
        var endpoint: HTTPEndpoint? = nil
        if let listen = configuration.httpListen, let address = BrokerAddress(parsing: listen) {
            let httpCounters = HTTPEndpoint.Counters()
            let metrics = AgentMetrics(
                sources: .init(
                    counters: counters, producer: producer, pipeline: pipeline, checkpoint: { writer.status }, health: health,
                    inputs: configuration.inputs.map(\.name), http: httpCounters),
                perFile: configuration.metricsPerFile)
            do {
                endpoint = try await HTTPEndpoint.start(
                    address: address, routes: HTTPRoutes(metrics: { metrics.render() }, health: health),
                    counters: httpCounters, logger: logger)
            } catch {
                requestStop()
                monitor.join()
                signals?.stop()
                tailer.stop()
                writer.stop()
                await producer.close(timeout: .seconds(1))
                throw error
            }
        }

        await waitForStop()
        notifier?.stopping(status: "stopping: waiting up to \(configuration.shutdownTimeoutMs) ms for Kafka's acknowledgements")
        monitor.join()
        await endpoint?.stop()

        // Stop in reverse order: reading, then Kafka (flush within the timeout), then the last checkpoint.
        pipeline.stopping.store(true, ordering: .relaxed)
        tailer.stop()
        let clean = await producer.close(timeout: .milliseconds(configuration.shutdownTimeoutMs))
        writer.stop()
        signals?.stop()
        let progress = pipeline.progress()
        let inFlight = progress.reduce(Int64(0)) { $0 + ($1.sent - $1.committed) }
        logger.notice(
            "ferry stopped",
            metadata: ["records.sent": "\(counters.recordsSent.load(ordering: .relaxed))",
                       "records.acknowledged": "\(counters.recordsAcknowledged.load(ordering: .relaxed))",
                       "reads.deferred": "\(counters.deferrals.load(ordering: .relaxed))",
                       "pauses": "\(counters.pauses.load(ordering: .relaxed))",
                       "bytes.unacknowledged": "\(inFlight)", "flushed": "\(clean)",
                       "checkpoint": "\(writer.lastWriteFailed ? "not written" : "written")"])
        if !clean {
            logger.warning(
                "stopped before every record was acknowledged; the checkpoint stays before them and they are sent again at the next start",
                metadata: ["bytes.unacknowledged": "\(inFlight)"])
        }
    }

    private func waitForStop() async {
        let condition = stopRequested
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let waiter = try? BackgroundThread {
                condition.lock(whenValue: 1)
                condition.unlock()
                continuation.resume()
            }
            if waiter == nil { continuation.resume() }
        }
    }

    /// Where a newly discovered file starts: the resume plan's decision for its inode, else the input's rule
    /// (or, after an unusable checkpoint, the `on_corrupt_checkpoint` policy).
    static func start(for file: DiscoveredFile, decisions: [FileIdentityKey: ResumeDecision], unknownStart: StartPosition?) -> StartDecision {
        if let decision = decisions[FileIdentityKey(file.identity)] {
            switch decision.reason {
            case .new: break
            default: return .offset(decision.startOffset)
            }
        }
        switch unknownStart {
        case .beginning?: return .offset(0)
        // Like the input's own start_at: end, for the files found at start only; files that appear later
        // start at 0.
        case .end?: return .startAt(.end)
        case nil: return .useStartAtRule
        }
    }
}
