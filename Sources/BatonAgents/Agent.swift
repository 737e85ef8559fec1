import BatonContracts
import BatonGraph

/// An agent a worker can run as one activity. It sees only its input, where to
/// resume, and hooks to report to: never the scheduler or the broker.
public protocol Agent: Sendable {
    /// The name workflows use to ask for this agent.
    var name: String { get }

    /// What the worker must provide; checked when the worker starts.
    var requirements: AgentRequirements { get }

    /// What it does and answers with, for `GET /v1/agents`.
    var summary: String { get }

    /// What its input must be. The scheduler refuses a submission that does not fit,
    /// so `run` sees only inputs that do (it still checks what a schema cannot say).
    var inputSchema: JSONSchema { get }

    /// Runs to the end, or to a question for a person, from `run.checkpoint` if set.
    func run(_ run: AgentRun, hooks: GraphRunHooks) async throws -> AgentOutcome
}

extension Agent {
    public var requirements: AgentRequirements { [] }
    public var summary: String { "" }
    public var inputSchema: JSONSchema { .anything }

    public var descriptor: AgentDescriptor {
        AgentDescriptor(name: name, summary: summary, inputSchema: inputSchema.value)
    }
}

/// Resources an agent cannot run without.
public struct AgentRequirements: OptionSet, Sendable, Hashable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// A model provider (`providers:` in the worker's configuration).
    public static let model = AgentRequirements(rawValue: 1)
    /// The scheduler's API, to delegate child workflows (`scheduler_url:`).
    public static let tasks = AgentRequirements(rawValue: 2)
}

public enum AgentOutcome: Sendable, Hashable {
    case completed(JSONValue)
    /// The agent waits for a person's answer to `request` (the last checkpoint holds its place).
    case interrupted(InterruptRequest)
}

/// One activity's view of its workflow.
public struct AgentRun: Sendable {
    public var workflowId: String
    public var attempt: Int
    public var input: JSONValue
    public var checkpoint: Checkpoint?
    /// A person's answer to the interrupt the checkpoint stopped at.
    public var humanInput: JSONValue?
    /// Who submitted the workflow.
    public var caller: String?

    public init(
        workflowId: String, attempt: Int, input: JSONValue, checkpoint: Checkpoint?, humanInput: JSONValue? = nil,
        caller: String? = nil
    ) {
        self.caller = caller
        self.workflowId = workflowId
        self.attempt = attempt
        self.input = input
        self.checkpoint = checkpoint
        self.humanInput = humanInput
    }
}

extension CompiledGraph {
    /// Runs this graph as an agent activity: resumes from the run's checkpoint with its
    /// answer, and returns the final state as JSON.
    public func run(_ run: AgentRun, input: State, hooks: GraphRunHooks) async throws -> AgentOutcome {
        switch try await self.run(
            input: input, resumingFrom: run.checkpoint, humanInput: run.humanInput, attempt: run.attempt, hooks: hooks)
        {
        case .completed(let state): .completed(try Self.encode(state))
        case .interrupted(let pending): .interrupted(pending.request)
        }
    }
}

/// An input the agent cannot work with: running it again will not help.
public struct AgentInputError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
