import BatonContracts
import Foundation

extension RetryPolicy {
    /// Seconds to wait after the `failures`-th failure. `random` is a uniform draw in
    /// [0, 1) supplied by the caller, so that the same inputs give the same delay.
    public func delay(afterFailure failures: Int, random: Double) -> Double {
        let exponent = Double(max(0, failures - 1))
        let base = min(maximumIntervalSeconds, initialIntervalSeconds * pow(backoffCoefficient, exponent))
        let factor = 1 + jitter * (2 * min(max(random, 0), 1) - 1)
        return max(0, base * factor)
    }

    public func isRetryable(_ failure: ActivityFailure) -> Bool {
        failure.retryable && !nonRetryableErrorKinds.contains(failure.kind)
    }
}

extension WorkflowOptions {
    /// How long after a redelivery hint the attempt's worker has to show a sign of life
    /// before it counts as lost: two heartbeats, and at least 5 s (a worker cut off by a
    /// broker restart needs that long to reconnect and report), within the heartbeat timeout.
    public var leaseCheckSeconds: Double {
        min(heartbeatTimeoutSeconds, max(2 * heartbeatIntervalSeconds, 5))
    }
}
