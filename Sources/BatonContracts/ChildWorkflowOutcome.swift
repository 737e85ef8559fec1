/// How a child workflow ended, as the scheduler hands it to the parent waiting on it.
public struct ChildWorkflowOutcome: Sendable, Hashable, Codable {
    public var id: String
    public var agent: String
    public var status: WorkflowStatus
    public var result: JSONValue?
    public var error: ActivityFailure?
    public var usage: UsageSummary?

    public init(
        id: String, agent: String, status: WorkflowStatus, result: JSONValue? = nil, error: ActivityFailure? = nil,
        usage: UsageSummary? = nil
    ) {
        self.id = id
        self.agent = agent
        self.status = status
        self.result = result
        self.error = error
        self.usage = usage
    }
}
