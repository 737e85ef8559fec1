import BatonPostgres
import Logging
import Synchronization

/// Whether a service the scheduler needs (PostgreSQL, RabbitMQ) answered last time.
///
/// Shared by everything that talks to it, so an outage is logged once when it starts
/// and once when it ends, not at every retry, and `/readyz` can tell.
final class DependencyHealth: Sendable {
    let name: String
    private let down = Mutex<Bool>(false)
    private let recovered = Mutex<ContinuousClock.Instant?>(nil)

    /// When it last came back after being unreachable.
    var lastRecovery: ContinuousClock.Instant? { recovered.withLock { $0 } }

    init(name: String) {
        self.name = name
    }

    var isHealthy: Bool { !down.withLock { $0 } }

    func failed(_ error: any Error, logger: Logger) {
        let wasUp = down.withLock { down in
            defer { down = true }
            return !down
        }
        if wasUp { logger.error("\(name) is unreachable; retrying until it is back", metadata: ["error": "\(error)"]) }
    }

    func succeeded(logger: Logger) {
        let wasDown = down.withLock { down in
            defer { down = false }
            return down
        }
        if wasDown {
            recovered.withLock { $0 = .now }
            logger.notice("\(name) is reachable again")
        }
    }
}

extension DependencyHealth? {
    /// A transient PostgreSQL error is the database's outage, logged once by its
    /// `DependencyHealth`; anything else is logged as `message` every time.
    func report(_ error: any Error, or message: Logger.Message, logger: Logger) {
        if let self, let error = error as? PostgresError, error.isTransient {
            self.failed(error, logger: logger)
        } else {
            logger.error(message, metadata: ["error": "\(error)"])
        }
    }
}

/// Exponential back-off for retrying a service that is down: 100 ms doubling to 5 s.
struct Backoff {
    var initial: Duration = .milliseconds(100)
    var maximum: Duration = .seconds(5)
    private(set) var failures = 0

    mutating func nextDelay() -> Duration {
        failures += 1
        let factor = 1 << min(failures - 1, 16)
        return min(maximum, initial * factor)
    }

    mutating func reset() { failures = 0 }
}
