import Foundation

/// A command the scheduler sends to workers on the `agents` queue.
public enum WorkerCommand: Sendable, Hashable {
    /// Run (or resume) one attempt of a workflow's agent as a single activity.
    case runActivity(RunActivity)

    public static let knownTypes = ["run_activity"]
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
    public var heartbeatIntervalSeconds: Double

    public init(
        workflowId: String, attempt: Int, agent: String, input: JSONValue, checkpoint: Checkpoint?,
        heartbeatIntervalSeconds: Double
    ) {
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
        }
    }

    /// Reads a command, checking its version first so an unknown version is reported as such.
    public static func decode(_ data: Data) throws(ContractError) -> WorkerCommand {
        let type = try MessageCodec.header(of: data)
        switch type {
        case "run_activity": return .runActivity(try MessageCodec.body(RunActivity.self, from: data))
        default: throw .unknownType(type, known: knownTypes)
        }
    }
}
