import Foundation

/// A command the scheduler sends to workers on the `agents` queue.
public enum WorkerCommand: Sendable, Hashable {
    /// Run (or resume) one attempt of a workflow's agent as a single activity.
    case runActivity(RunActivity)
    /// Stop the activity running `attempt` of a workflow, if this worker runs it.
    /// Broadcast to every worker on the control exchange.
    case cancelActivity(CancelActivity)

    public static let knownTypes = ["run_activity", "cancel_activity"]

    /// The fanout exchange that carries cancellations to every worker of `queue`.
    public static func controlExchange(for queue: String) -> String { "\(queue).control" }
}

public struct CancelActivity: Sendable, Hashable, Codable {
    public var workflowId: String
    public var attempt: Int

    public init(workflowId: String, attempt: Int) {
        self.workflowId = workflowId
        self.attempt = attempt
    }
}

/// Everything a worker needs to run one attempt; it holds no other state.
public struct RunActivity: Sendable, Hashable, Codable {
    public var workflowId: String
    /// Fencing token: events of this run carry it, and the scheduler ignores events
    /// of attempts that are no longer current.
    public var attempt: Int
    public var agent: String
    public var input: JSONValue
    /// Resume from here instead of the start; nil for a fresh run.
    public var checkpoint: Checkpoint?
    /// A person's answer to the interrupt the checkpoint stopped at, if any.
    public var humanInput: JSONValue?
    public var heartbeatIntervalSeconds: Double
    /// Who submitted the workflow, as given at submission.
    public var caller: String?

    public init(
        workflowId: String, attempt: Int, agent: String, input: JSONValue, checkpoint: Checkpoint?,
        humanInput: JSONValue? = nil, heartbeatIntervalSeconds: Double, caller: String? = nil
    ) {
        self.caller = caller
        self.humanInput = humanInput
        self.workflowId = workflowId
        self.attempt = attempt
        self.agent = agent
        self.input = input
        self.checkpoint = checkpoint
        self.heartbeatIntervalSeconds = heartbeatIntervalSeconds
    }
}

extension WorkerCommand {
    /// The wire form: `{"version": 1, "type": "run_activity", …fields}`.
    public func encoded() -> Data {
        switch self {
        case .runActivity(let body):
            MessageCodec.encode(type: "run_activity", body: body)
        case .cancelActivity(let body):
            MessageCodec.encode(type: "cancel_activity", body: body)
        }
    }

    /// Reads a command, checking its version first so an unknown version is reported as such.
    public static func decode(_ data: Data) throws(ContractError) -> WorkerCommand {
        let type = try MessageCodec.header(of: data)
        switch type {
        case "run_activity": return .runActivity(try MessageCodec.body(RunActivity.self, from: data))
        case "cancel_activity": return .cancelActivity(try MessageCodec.body(CancelActivity.self, from: data))
        default: throw .unknownType(type, known: knownTypes)
        }
    }
}
