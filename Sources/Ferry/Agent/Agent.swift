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
    /// What the agent did (for logs, tests and the metrics endpoint); kept across reloads.
    public let counters: PipelineCounters
    /// Stop and reload requests (signals, ``requestStop()``, ``requestReload()``), shared by the cycles of
    /// one ``run(installSignalHandlers:)``.
    let requests: AgentRequests
    /// Set when this cycle ends (a stop or a reload): its monitor thread stops.
    let stopRequested = ConditionLock(value: 0)
    /// Reads the configuration again for a reload (SIGHUP); nil when it cannot be read again (standard input).
    let reloadSource: ReloadSource?

    /// Reads the configuration again: the new one, or every problem with its `file:line:column`.
    public typealias ReloadSource = @Sendable () throws(ConfigurationErrors) -> AgentConfiguration

    public convenience init(configuration: AgentConfiguration, logger: Logger, reload: ReloadSource? = nil) {
        self.init(configuration: configuration, logger: logger, counters: PipelineCounters(), requests: AgentRequests(), reload: reload)
    }

    private init(configuration: AgentConfiguration, logger: Logger, counters: PipelineCounters, requests: AgentRequests, reload: ReloadSource?) {
        self.configuration = configuration
        self.logger = logger
        self.counters = counters
        self.requests = requests
        reloadSource = reload
    }

    /// The host name for the `host.name` header.
    var hostName: String {
        if let name = configuration.hostName { return name }
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Asks a running agent to stop (as SIGTERM does).
    public func requestStop() { requests.stop() }

    /// Asks a running agent to read its configuration again (as SIGHUP does).
    public func requestReload() { requests.reload() }

    /// Runs until SIGTERM/SIGINT (or ``requestStop()``). Returns when everything is stopped; throws when
    /// the agent cannot start. `installSignalHandlers` is false in tests that stop it themselves.
    ///
    /// SIGHUP (or ``requestReload()``) reads the configuration again. A configuration with problems is
    /// refused (each problem logged with its `file:line:column`) and the running one goes on. A valid one
    /// replaces it: the running cycle stops as on SIGTERM (reading stops, Kafka acknowledges what was sent
    /// within `shutdown_timeout_ms`, the checkpoint is written), then a new cycle starts from that
    /// checkpoint with the new inputs and Kafka settings: removed inputs stop after their in-flight lines,
    /// added ones start, the counters go on.
    public func run(installSignalHandlers: Bool = true) async throws {
        var signals: SignalWatcher? = nil
        if installSignalHandlers {
            signals = try SignalWatcher { [self] number in
                if number == SIGHUP {
                    logger.notice("SIGHUP received: reading the configuration again")
                    requestReload()
                    return
                }
                logger.notice("stopping", metadata: ["signal": "\(number == SIGTERM ? "SIGTERM" : number == SIGINT ? "SIGINT" : "\(number)")"])
                requestStop()
            }
        }
        defer { signals?.stop() }
        var cycle = self
        var previous: AgentConfiguration? = nil
        while true {
            let next: AgentConfiguration?
            do {
                next = try await cycle.runCycle()
            } catch let error as AgentError {
                // A reloaded configuration that cannot start (its state directory locked, its port taken...):
                // back to the one that ran.
                guard let last = previous else { throw error }
                logger.error(
                    "the reloaded configuration cannot start; going back to the previous one", metadata: ["error": "\(error)"])
                previous = nil
                cycle = Agent(configuration: last, logger: logger, counters: counters, requests: requests, reload: reloadSource)
                continue
            }
            guard let next else { return }
            previous = cycle.configuration
            cycle = Agent(configuration: next, logger: logger, counters: counters, requests: requests, reload: reloadSource)
            logger.notice("configuration reloaded", metadata: ["inputs": "\(next.inputs.map(\.name).joined(separator: ","))"])
        }
    }

    /// One cycle: starts everything with this agent's configuration, runs until a stop (nil) or a valid
    /// reload (the new configuration), stops everything.
    private func runCycle() async throws -> AgentConfiguration? {
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
        do {
            try tailer.start()
        } catch {
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
                endCycle()
                monitor.join()
                tailer.stop()
                writer.stop()
                await producer.close(timeout: .seconds(1))
                throw error
            }
        }

        let next = await waitForStopOrReload()
        if next != nil {
            notifier?.reloading(status: "reloading: waiting up to \(configuration.shutdownTimeoutMs) ms for Kafka's acknowledgements")
        } else {
            notifier?.stopping(status: "stopping: waiting up to \(configuration.shutdownTimeoutMs) ms for Kafka's acknowledgements")
        }
        endCycle()
        monitor.join()
        await endpoint?.stop()

        // Stop in reverse order: reading, then Kafka (flush within the timeout), then the last checkpoint.
        pipeline.stopping.store(true, ordering: .relaxed)
        tailer.stop()
        let clean = await producer.close(timeout: .milliseconds(configuration.shutdownTimeoutMs))
        writer.stop()
        let progress = pipeline.progress()
        let inFlight = progress.reduce(Int64(0)) { $0 + ($1.sent - $1.committed) }
        logger.notice(
            next == nil ? "ferry stopped" : "stopped for the reload",
            metadata: ["records.sent": "\(counters.recordsSent.load(ordering: .relaxed))",
                       "records.acknowledged": "\(counters.recordsAcknowledged.load(ordering: .relaxed))",
                       "reads.deferred": "\(counters.deferrals.load(ordering: .relaxed))",
                       "pauses": "\(counters.pauses.load(ordering: .relaxed))",
                       "bytes.unacknowledged": "\(inFlight)", "flushed": "\(clean)",
                       "checkpoint": "\(writer.status.failing ? "not written" : "written")"])
        if !clean {
            logger.warning(
                "stopped before every record was acknowledged; the checkpoint stays before them and they are sent again at the next start",
                metadata: ["bytes.unacknowledged": "\(inFlight)"])
        }
        return next
    }

    /// Ends this cycle's monitor thread.
    private func endCycle() {
        stopRequested.lock()
        stopRequested.unlock(withValue: 1)
    }

    /// Waits for a stop (nil) or a reload whose configuration is valid (the new configuration). A reload
    /// whose configuration has problems is refused, each problem logged, and the wait goes on.
    private func waitForStopOrReload() async -> AgentConfiguration? {
        while true {
            let request = await requests.next()
            if request.stop { return nil }
            guard let reloadSource else {
                logger.warning("cannot reload: the configuration came from standard input; carrying on unchanged")
                continue
            }
            do {
                let next = try reloadSource()
                logger.notice("reloading: the new configuration is valid; stopping this one (its checkpoint is kept), then starting it")
                return next
            } catch {
                for problem in error.errors {
                    logger.error("configuration refused; the running one goes on", metadata: ["problem": "\(problem)"])
                }
            }
        }
    }

    /// Stop and reload requests for the cycles of one run: a flag each, and a lock to wait on.
    final class AgentRequests: Sendable {
        private let signal = ConditionLock(value: 0)
        private let flags = NIOLockedValueBox((stop: false, reload: false))

        func stop() { post { $0.stop = true } }
        func reload() { post { $0.reload = true } }

        private func post(_ change: @Sendable (inout (stop: Bool, reload: Bool)) -> Void) {
            flags.withLockedValue(change)
            signal.lock()
            signal.unlock(withValue: 1)
        }

        /// Waits (on a thread of its own) for a request and takes it; a stop stays set.
        func next() async -> (stop: Bool, reload: Bool) {
            let signal = self.signal
            let flags = self.flags
            return await withCheckedContinuation { (continuation: CheckedContinuation<(stop: Bool, reload: Bool), Never>) in
                let waiter = try? BackgroundThread {
                    signal.lock(whenValue: 1)
                    let taken = flags.withLockedValue { flags in
                        defer { flags.reload = false }
                        return flags
                    }
                    signal.unlock(withValue: taken.stop ? 1 : 0)
                    continuation.resume(returning: taken)
                }
                if waiter == nil { continuation.resume(returning: (stop: true, reload: false)) }
            }
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
