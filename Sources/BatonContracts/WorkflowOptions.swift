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
    /// Attempts in a row that may end with their worker dying (no checkpoint between
    /// them) before the workflow fails with `worker_crashed`: a command that kills
    /// workers is quarantined instead of taking the fleet down one worker at a time.
    public var maximumWorkerCrashes: Int

    public init(
        retry: RetryPolicy = RetryPolicy(), heartbeatIntervalSeconds: Double = 5, heartbeatTimeoutSeconds: Double = 30,
        scheduleToStartTimeoutSeconds: Double? = nil, startToCloseTimeoutSeconds: Double? = 86_400,
        executionTimeoutSeconds: Double? = nil, cancelGraceSeconds: Double = 30, maximumWorkerCrashes: Int = 2
    ) {
        self.maximumWorkerCrashes = maximumWorkerCrashes
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
        // For the optional limits, null means "no limit" and only a missing key takes the default.
        func limit(_ key: CodingKeys, default fallback: Double?) throws -> Double? {
            c.contains(key) ? try c.decodeIfPresent(Double.self, forKey: key) : fallback
        }
        scheduleToStartTimeoutSeconds = try limit(
            .scheduleToStartTimeoutSeconds, default: d.scheduleToStartTimeoutSeconds)
        startToCloseTimeoutSeconds = try limit(.startToCloseTimeoutSeconds, default: d.startToCloseTimeoutSeconds)
        executionTimeoutSeconds = try limit(.executionTimeoutSeconds, default: d.executionTimeoutSeconds)
        cancelGraceSeconds = try c.decode(.cancelGraceSeconds, default: d.cancelGraceSeconds)
        maximumWorkerCrashes = try c.decode(.maximumWorkerCrashes, default: d.maximumWorkerCrashes)
    }

    enum CodingKeys: String, CodingKey {
        case retry, heartbeatIntervalSeconds, heartbeatTimeoutSeconds, scheduleToStartTimeoutSeconds
        case startToCloseTimeoutSeconds, executionTimeoutSeconds, cancelGraceSeconds, maximumWorkerCrashes
    }

    /// Writes "no limit" as an explicit null: left out, it would read back as the default
    /// (a workflow saved without a start-to-close limit came back with 24 hours).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(retry, forKey: .retry)
        try c.encode(heartbeatIntervalSeconds, forKey: .heartbeatIntervalSeconds)
        try c.encode(heartbeatTimeoutSeconds, forKey: .heartbeatTimeoutSeconds)
        try c.encode(scheduleToStartTimeoutSeconds, forKey: .scheduleToStartTimeoutSeconds)
        try c.encode(startToCloseTimeoutSeconds, forKey: .startToCloseTimeoutSeconds)
        try c.encode(executionTimeoutSeconds, forKey: .executionTimeoutSeconds)
        try c.encode(cancelGraceSeconds, forKey: .cancelGraceSeconds)
        try c.encode(maximumWorkerCrashes, forKey: .maximumWorkerCrashes)
    }

    /// The bounds every option must keep (documented in the README): finite, and in
    /// ranges that make sense, so that no option can make the scheduler's time
    /// arithmetic overflow or a worker flood the broker with heartbeats.
    public enum Bounds {
        public static let heartbeatInterval: ClosedRange<Double> = 0.5...3_600
        public static let heartbeatTimeout: ClosedRange<Double> = 1...86_400
        /// One year: the longest any workflow timeout may be.
        public static let timeout: ClosedRange<Double> = 0.001...31_536_000
        public static let cancelGrace: ClosedRange<Double> = 0.001...86_400
        public static let workerCrashes: ClosedRange<Int> = 1...10
    }

    /// Nil when the options are usable, else what is wrong with them.
    public func validationError() -> String? {
        if let problem = retry.validationError() { return problem }
        if let problem = Self.problem("heartbeatIntervalSeconds", heartbeatIntervalSeconds, Bounds.heartbeatInterval) {
            return problem
        }
        if let problem = Self.problem("heartbeatTimeoutSeconds", heartbeatTimeoutSeconds, Bounds.heartbeatTimeout) {
            return problem
        }
        if !(heartbeatTimeoutSeconds > heartbeatIntervalSeconds) {
            return "heartbeatTimeoutSeconds must be larger than heartbeatIntervalSeconds"
        }
        for (name, value) in [
            ("scheduleToStartTimeoutSeconds", scheduleToStartTimeoutSeconds),
            ("startToCloseTimeoutSeconds", startToCloseTimeoutSeconds),
            ("executionTimeoutSeconds", executionTimeoutSeconds),
        ] {
            if let value, let problem = Self.problem(name, value, Bounds.timeout) { return problem }
        }
        if let problem = Self.problem("cancelGraceSeconds", cancelGraceSeconds, Bounds.cancelGrace) { return problem }
        if !Bounds.workerCrashes.contains(maximumWorkerCrashes) {
            return
                "maximumWorkerCrashes must be between \(Bounds.workerCrashes.lowerBound) and \(Bounds.workerCrashes.upperBound)"
        }
        return nil
    }

    static func problem(_ name: String, _ value: Double, _ bounds: ClosedRange<Double>) -> String? {
        guard value.isFinite, bounds.contains(value) else {
            return
                "\(name) must be between \(bounds.lowerBound.compact) and \(bounds.upperBound.compact) seconds, got \(value)"
        }
        return nil
    }
}

extension Double {
    /// 86400 rather than 86400.0 in messages.
    var compact: String { rounded() == self && abs(self) < 1e15 ? String(Int64(self)) : description }
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
        if let problem = WorkflowOptions.problem("retry.initialIntervalSeconds", initialIntervalSeconds, 0...86_400) {
            return problem
        }
        if !(backoffCoefficient.isFinite && (1...100).contains(backoffCoefficient)) {
            return "retry.backoffCoefficient must be between 1 and 100"
        }
        if let problem = WorkflowOptions.problem("retry.maximumIntervalSeconds", maximumIntervalSeconds, 0...86_400) {
            return problem
        }
        if !(maximumIntervalSeconds >= initialIntervalSeconds) {
            return "retry.maximumIntervalSeconds must be at least retry.initialIntervalSeconds"
        }
        if !(1...1000).contains(maximumAttempts) { return "retry.maximumAttempts must be between 1 and 1000" }
        if !(jitter.isFinite && (0...1).contains(jitter)) { return "retry.jitter must be between 0 and 1" }
        if nonRetryableErrorKinds.count > 100
            || nonRetryableErrorKinds.contains(where: { $0.isEmpty || $0.count > 128 })
        {
            return "retry.nonRetryableErrorKinds: at most 100 kinds of 1 to 128 characters"
        }
        return nil
    }
}
