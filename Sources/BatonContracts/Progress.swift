/// What an activity reports about how far it got.
public struct ActivityProgress: Sendable, Hashable, Codable {
    /// The node running or last finished.
    public var node: String?
    /// Super-steps completed.
    public var step: Int
    public var phase: String?
    /// 0...100 when the agent knows it.
    public var percent: Double?
    public var label: String?

    public init(node: String? = nil, step: Int, phase: String? = nil, percent: Double? = nil, label: String? = nil) {
        self.node = node
        self.step = step
        self.phase = phase
        self.percent = percent
        self.label = label
    }
}

/// Why an activity failed, and whether running it again may help.
public struct ActivityFailure: Sendable, Hashable, Codable, Error {
    /// A stable machine-readable kind, e.g. `unknown_agent`, `agent_error`.
    public var kind: String
    public var message: String
    public var retryable: Bool

    public init(kind: String, message: String, retryable: Bool) {
        self.kind = kind
        self.message = message
        self.retryable = retryable
    }
}
