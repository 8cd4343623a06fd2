import KafkaProducer
import Logging

/// The agent's monitor loop, on its own thread while `ferry run` runs: it keeps ``AgentHealth`` (what
/// `/health` and `/ready` answer) and, under systemd's `Type=notify`, sends READY=1 once a broker answered
/// Metadata (the configuration is loaded and the state directory locked before the loop starts), STATUS=
/// every few seconds and WATCHDOG=1 as ``WatchdogGate`` allows. Woken by the stop.
extension Agent {
    /// How often the loop looks: a quarter of the watchdog period, at most a second.
    static func notificationTick(watchdogPeriodNs: UInt64?) -> Double {
        guard let period = watchdogPeriodNs else { return 1 }
        return min(1, max(0.01, Double(period) / 4e9))
    }

    /// Starts the loop; it ends when the agent is asked to stop. `notifier` is nil outside systemd.
    func startMonitor(
        _ notifier: SystemdNotifier?, producer: KafkaProducer, pipeline: Pipeline, health: AgentHealth, checkpoint: @escaping @Sendable () -> CheckpointWriterStatus
    ) throws(AgentError) -> BackgroundThread {
        let tick = Self.notificationTick(watchdogPeriodNs: notifier?.watchdogPeriodNs)
        let counters = self.counters
        let condition = stopRequested
        let logger = self.logger
        let inputs = configuration.inputs.count
        let stallLimitNs = UInt64(configuration.healthStallSeconds) * 1_000_000_000
        return try BackgroundThread {
            let start = MonotonicClock.nanoseconds()
            var gate = notifier?.watchdogPeriodNs.map { WatchdogGate(watchdogPeriodNs: $0, now: start) }
            var healthGate = WatchdogGate(stallNs: stallLimitNs, now: start)
            var ready = false
            var lastStatusAt: UInt64 = 0
            var pinging = true
            var lastProblem: String? = nil
            var diskLag = 0
            var diskLagAt: UInt64 = 0
            while true {
                if condition.lock(whenValue: 1, timeoutSeconds: tick) {
                    condition.unlock()
                    return
                }
                let now = MonotonicClock.nanoseconds()
                let acknowledged = counters.recordsAcknowledged.load(ordering: .relaxed)
                let finished = acknowledged + counters.lost.values.reduce(0) { $0 + $1.records }
                let pending = producer.bufferedBytes
                // Pending for /health: in the producer, or on disk unread (an input whose topic cannot
                // take records leaves its lines in its files).
                // (The files are looked at every 5 s at most: a `stat` per tracked file.)
                if pending == 0 && now &- diskLagAt >= 5_000_000_000 {
                    diskLag = Int(clamping: pipeline.lagOnDisk().reduce(Int64(0)) { $0 &+ $1.lag })
                    diskLagAt = now
                }
                let pendingAnywhere = pending > 0 ? pending : diskLag
                _ = healthGate.shouldPing(now: now, pendingBytes: pendingAnywhere, finished: finished)
                let problem = AgentHealth.problem(
                    stalledNs: healthGate.stalledFor(now: now), stallLimitNs: stallLimitNs, pendingBytes: pendingAnywhere,
                    checkpoint: checkpoint())
                if problem != lastProblem {
                    if let problem {
                        logger.warning("unhealthy: /health answers 503", metadata: ["reason": "\(problem)"])
                    } else {
                        logger.notice("healthy again: /health answers 200")
                    }
                    lastProblem = problem
                }
                let nowReady = ready || producer.hasMetadata
                health.update(AgentHealth.State(ready: nowReady, problem: problem))
                guard let notifier else {
                    ready = nowReady
                    continue
                }
                let status = nowReady
                    ? "shipping \(inputs) input\(inputs == 1 ? "" : "s"): \(acknowledged) records acknowledged, \(pending / 1024) KiB pending"
                    : "waiting for Kafka: no broker has answered yet"
                if !ready && nowReady {
                    ready = true
                    notifier.ready(status: status)
                    lastStatusAt = now
                    logger.debug("told systemd READY=1")
                } else if now &- lastStatusAt >= 5_000_000_000 {
                    notifier.status(status)
                    lastStatusAt = now
                }
                if var current = gate {
                    let ping = current.shouldPing(now: now, pendingBytes: pending, finished: finished)
                    gate = current
                    if ping { notifier.watchdog() }
                    if ping != pinging {
                        pinging = ping
                        if ping {
                            logger.notice("records are acknowledged again; watchdog pings resume")
                        } else {
                            logger.warning(
                                "nothing acknowledged with data pending for half the watchdog period; watchdog pings stop (systemd restarts the agent if this lasts)",
                                metadata: ["bytes.pending": "\(pending)"])
                        }
                    }
                }
            }
        }
    }
}
