/// How a workflow retries and when it gives up. Part of the API (a submit may set
/// them) and of the state machine's persisted value.
public struct WorkflowOptions: Sendable, Hashable, Codable {
    public var retry: RetryPolicy
    /// How often a worker sends a heartbeat for a running activity.
    public var heartbeatIntervalSeconds: Double
    /// An attempt silent for this long is presumed dead and retried.
    public var heartbeatTimeoutSeconds: Double
    /// Longest wait from dispatch until a worker starts the attempt; nil waits forever
    /// (the broker does not lose commands, and a burst may queue for long).
    public var scheduleToStartTimeoutSeconds: Double?
    /// Longest run of one attempt; nil for no limit.
    public var startToCloseTimeoutSeconds: Double?
    /// Longest life of the whole workflow, waits for humans included; nil for no limit.
    public var executionTimeoutSeconds: Double?
    /// How long a cancelled running attempt gets to stop before the workflow is
    /// recorded as cancelled anyway (its later events are then ignored).
    public var cancelGraceSeconds: Double

    public init(
        retry: RetryPolicy = RetryPolicy(), heartbeatIntervalSeconds: Double = 5, heartbeatTimeoutSeconds: Double = 30,
        scheduleToStartTimeoutSeconds: Double? = nil, startToCloseTimeoutSeconds: Double? = 86_400,
        executionTimeoutSeconds: Double? = nil, cancelGraceSeconds: Double = 30
    ) {
        self.retry = retry
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
        self.heartbeatTimeoutSeconds = heartbeatTimeoutSeconds
        self.scheduleToStartTimeoutSeconds = scheduleToStartTimeoutSeconds
        self.startToCloseTimeoutSeconds = startToCloseTimeoutSeconds
        self.executionTimeoutSeconds = executionTimeoutSeconds
        self.cancelGraceSeconds = cancelGraceSeconds
    }

    /// Missing fields take their defaults, so a client sets only what it cares about.
    public init(from decoder: any Decoder) throws {
        let d = WorkflowOptions()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        retry = try c.decode(.retry, default: d.retry)
        heartbeatIntervalSeconds = try c.decode(.heartbeatIntervalSeconds, default: d.heartbeatIntervalSeconds)
        heartbeatTimeoutSeconds = try c.decode(.heartbeatTimeoutSeconds, default: d.heartbeatTimeoutSeconds)
        scheduleToStartTimeoutSeconds = try c.decode(
            .scheduleToStartTimeoutSeconds, default: d.scheduleToStartTimeoutSeconds)
        startToCloseTimeoutSeconds = try c.decode(.startToCloseTimeoutSeconds, default: d.startToCloseTimeoutSeconds)
        executionTimeoutSeconds = try c.decode(.executionTimeoutSeconds, default: d.executionTimeoutSeconds)
        cancelGraceSeconds = try c.decode(.cancelGraceSeconds, default: d.cancelGraceSeconds)
    }

    /// Nil when the options are usable, else what is wrong with them.
    public func validationError() -> String? {
        if let problem = retry.validationError() { return problem }
        if !(heartbeatIntervalSeconds > 0) { return "heartbeatIntervalSeconds must be positive" }
        if !(heartbeatTimeoutSeconds > heartbeatIntervalSeconds) {
            return "heartbeatTimeoutSeconds must be larger than heartbeatIntervalSeconds"
        }
        for (name, value) in [
            ("scheduleToStartTimeoutSeconds", scheduleToStartTimeoutSeconds),
            ("startToCloseTimeoutSeconds", startToCloseTimeoutSeconds),
            ("executionTimeoutSeconds", executionTimeoutSeconds), ("cancelGraceSeconds", cancelGraceSeconds),
        ] {
            if let value, !(value > 0) { return "\(name) must be positive" }
        }
        return nil
    }
}

/// Exponential back-off between failed attempts, with jitter.
public struct RetryPolicy: Sendable, Hashable, Codable {
    public var initialIntervalSeconds: Double
    public var backoffCoefficient: Double
    public var maximumIntervalSeconds: Double
    /// Failed attempts allowed in all; the workflow fails with the last one.
    public var maximumAttempts: Int
    /// Failure kinds never retried, whatever the worker says.
    public var nonRetryableErrorKinds: [String]
    /// Each delay is multiplied by a factor drawn uniformly from 1 ± jitter.
    public var jitter: Double

    public init(
        initialIntervalSeconds: Double = 1, backoffCoefficient: Double = 2, maximumIntervalSeconds: Double = 60,
        maximumAttempts: Int = 3, nonRetryableErrorKinds: [String] = [], jitter: Double = 0.2
    ) {
        self.initialIntervalSeconds = initialIntervalSeconds
        self.backoffCoefficient = backoffCoefficient
        self.maximumIntervalSeconds = maximumIntervalSeconds
        self.maximumAttempts = maximumAttempts
        self.nonRetryableErrorKinds = nonRetryableErrorKinds
        self.jitter = jitter
    }

    public init(from decoder: any Decoder) throws {
        let d = RetryPolicy()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        initialIntervalSeconds = try c.decode(.initialIntervalSeconds, default: d.initialIntervalSeconds)
        backoffCoefficient = try c.decode(.backoffCoefficient, default: d.backoffCoefficient)
        maximumIntervalSeconds = try c.decode(.maximumIntervalSeconds, default: d.maximumIntervalSeconds)
        maximumAttempts = try c.decode(.maximumAttempts, default: d.maximumAttempts)
        nonRetryableErrorKinds = try c.decode(.nonRetryableErrorKinds, default: d.nonRetryableErrorKinds)
        jitter = try c.decode(.jitter, default: d.jitter)
    }

    public func validationError() -> String? {
        if !(initialIntervalSeconds >= 0) { return "retry.initialIntervalSeconds must not be negative" }
        if !(backoffCoefficient >= 1) { return "retry.backoffCoefficient must be at least 1" }
        if !(maximumIntervalSeconds >= initialIntervalSeconds) {
            return "retry.maximumIntervalSeconds must be at least retry.initialIntervalSeconds"
        }
        if !(1...1000).contains(maximumAttempts) { return "retry.maximumAttempts must be between 1 and 1000" }
        if !(0...1).contains(jitter) { return "retry.jitter must be between 0 and 1" }
        return nil
    }
}
