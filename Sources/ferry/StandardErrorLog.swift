import ArgumentParser
import Ferry
import Logging

/// Sets up swift-log to write to standard error at `level` (once per process): logfmt or JSON lines, with
/// journald's priority prefix when standard error is the journal (`JOURNAL_STREAM`).
enum StandardErrorLog {
    static func bootstrap(level: Logger.Level, format: LogFormat = .logfmt) {
        let formatter = LogLineFormatter(
            format: format, journald: LogLineFormatter.standardErrorIsJournal(environment: ProcessEnvironment.current()))
        LoggingSystem.bootstrap { _ in StandardErrorLogHandler(level: level, formatter: formatter) }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogFormat: ExpressibleByArgument {}
