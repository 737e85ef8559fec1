import BatonContracts
import BatonGraph

/// An agent a worker can run as one activity. It sees only its input, where to
/// resume, and hooks to report to: never the scheduler or the broker.
public protocol Agent: Sendable {
    /// The name workflows use to ask for this agent.
    var name: String { get }

    /// Runs to the end (or resumes from `run.checkpoint`) and returns the output.
    func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> JSONValue
}

/// One activity's view of its workflow.
public struct AgentRun: Sendable {
    public var workflowId: String
    public var attempt: Int
    public var input: JSONValue
    public var checkpoint: Checkpoint?

    public init(workflowId: String, attempt: Int, input: JSONValue, checkpoint: Checkpoint?) {
        self.workflowId = workflowId
        self.attempt = attempt
        self.input = input
        self.checkpoint = checkpoint
    }
}

/// An input the agent cannot work with: running it again will not help.
public struct AgentInputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
