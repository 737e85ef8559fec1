import BatonPostgres
import Logging
import ServiceLifecycle

/// Prunes finished workflows past their keeping time (`RetentionPolicy`) every
/// `interval_seconds`, a few batches per pass, so that a first pass over years of
/// records does not hold a connection for minutes.
struct RetentionService: Service {
    let policy: RetentionPolicy
    let pool: PostgresPool
    let logger: Logger

    func run() async throws {
        // A cancelled task's sleep returns at once: the loop must end then too, or it spins.
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let report = try await Pruning.prune(policy, tenant: nil, maximumBatches: 10, on: pool)
                if report.workflows > 0 {
                    logger.info(
                        "pruned finished workflows past their retention",
                        metadata: [
                            "workflows": "\(report.workflows)", "events": "\(report.events)",
                            "checkpoints": "\(report.checkpoints)",
                        ])
                }
            } catch is CancellationError {
                return
            } catch {
                // The database is out of reach: the next pass tries again.
                logger.warning("retention pass failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(policy.intervalSeconds)) }
        }
    }
}
