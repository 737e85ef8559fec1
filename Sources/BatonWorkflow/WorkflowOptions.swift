/// Per-workflow settings the state machine decides with.
public struct WorkflowOptions: Sendable, Hashable, Codable {
    /// Attempts in all, the first included.
    public var maxAttempts: Int
    /// How often a worker sends a heartbeat for a running activity.
    public var heartbeatIntervalSeconds: Double

    public init(maxAttempts: Int = 3, heartbeatIntervalSeconds: Double = 5) {
        self.maxAttempts = maxAttempts
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
    }
}
