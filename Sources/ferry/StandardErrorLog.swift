import ArgumentParser
import Logging

/// Sets up swift-log to write to standard error at `level` (once per process).
enum StandardErrorLog {
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
