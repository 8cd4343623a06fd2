import KafkaProducer
import Logging

/// systemd's notifications while `ferry run` runs under `Type=notify`: READY=1 once a broker answered
/// Metadata (the configuration is loaded and the state directory locked before the loop starts), STATUS=
/// every few seconds, WATCHDOG=1 as ``WatchdogGate`` allows. On their own thread, woken by the stop.
extension Agent {
    /// How often the loop looks: a quarter of the watchdog period, at most a second.
    static func notificationTick(watchdogPeriodNs: UInt64?) -> Double {
        guard let period = watchdogPeriodNs else { return 1 }
        return min(1, max(0.01, Double(period) / 4e9))
    }

    /// Starts the loop; it ends when the agent is asked to stop.
    func startNotifications(_ notifier: SystemdNotifier, producer: KafkaProducer) throws(AgentError) -> BackgroundThread {
        let tick = Self.notificationTick(watchdogPeriodNs: notifier.watchdogPeriodNs)
        let counters = self.counters
        let condition = stopRequested
        let logger = self.logger
        let inputs = configuration.inputs.count
        return try BackgroundThread {
            var gate = notifier.watchdogPeriodNs.map { WatchdogGate(watchdogPeriodNs: $0, now: MonotonicClock.nanoseconds()) }
            var ready = false
            var lastStatusAt: UInt64 = 0
            var pinging = true
            while true {
                if condition.lock(whenValue: 1, timeoutSeconds: tick) {
                    condition.unlock()
                    return
                }
                let now = MonotonicClock.nanoseconds()
                let acknowledged = counters.recordsAcknowledged.load(ordering: .relaxed)
                let finished = acknowledged + counters.lost.values.reduce(0) { $0 + $1.records }
                let pending = producer.bufferedBytes
                let status = ready || producer.hasMetadata
                    ? "shipping \(inputs) input\(inputs == 1 ? "" : "s"): \(acknowledged) records acknowledged, \(pending / 1024) KiB pending"
                    : "waiting for Kafka: no broker has answered yet"
                if !ready && producer.hasMetadata {
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
