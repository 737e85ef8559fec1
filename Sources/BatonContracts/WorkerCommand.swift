import Foundation

/// A command the scheduler sends to workers on the `agents` queue.
public enum WorkerCommand: Sendable, Hashable {
    /// Run (or resume) one attempt of a workflow's agent as a single activity.
    case runActivity(RunActivity)
    /// Stop the activity running `attempt` of a workflow, if this worker runs it.
    /// Broadcast to every worker on the control exchange.
    case cancelActivity(CancelActivity)
    /// Hand the activity back at its next checkpoint, on the control exchange like a
    /// cancellation: an operator paused the workflow.
    case pauseActivity(PauseActivity)

    public static let knownTypes = ["run_activity", "cancel_activity", "pause_activity"]

    /// The fanout exchange that carries cancellations to every worker of `queue`.
    public static func controlExchange(for queue: String) -> String { "\(queue).control" }
}

public struct CancelActivity: Sendable, Hashable, Codable {
    public var workflowId: String
    public var attempt: Int
    /// Only this worker stops; nil for whichever runs the attempt. (A duplicate of a
    /// running attempt is stopped without stopping the attempt's lease holder.)
    public var workerId: String?

    public init(workflowId: String, attempt: Int, workerId: String? = nil) {
        self.workflowId = workflowId
        self.attempt = attempt
        self.workerId = workerId
    }
}

public struct PauseActivity: Sendable, Hashable, Codable {
    public var workflowId: String
    public var attempt: Int
    /// The attempt's lease holder: only it pauses.
    public var workerId: String

    public init(workflowId: String, attempt: Int, workerId: String) {
        self.workflowId = workflowId
        self.attempt = attempt
        self.workerId = workerId
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
    /// The tenant the workflow belongs to, for the worker's logs; absent in commands of
    /// older schedulers.
    public var tenant: String?
    /// The attempt's secret: every event of the attempt carries it back. Never shown by
    /// the API or the history.
    public var leaseToken: String?
    /// The routing key the attempt's events must carry on the events exchange (the
    /// workflow's partition slot). Absent in commands of schedulers without
    /// partitions: the worker then uses the events queue's name, as they expect.
    public var eventsRoutingKey: String?
    /// The scheduler stores checkpoint states as deltas: the attempt's checkpoints may
    /// carry `stateDelta` instead of their whole state. Absent in commands of older
    /// schedulers, which need whole states.
    public var acceptsStateDeltas: Bool?
    /// What the activity's events may carry; absent in commands of older schedulers
    /// (`ActivityLimits.standard` then).
    public var limits: ActivityLimits?

    public init(
        workflowId: String, attempt: Int, agent: String, input: JSONValue, checkpoint: Checkpoint?,
        humanInput: JSONValue? = nil, heartbeatIntervalSeconds: Double, caller: String? = nil,
        leaseToken: String? = nil, eventsRoutingKey: String? = nil, acceptsStateDeltas: Bool? = nil,
        limits: ActivityLimits? = nil, tenant: String? = nil
    ) {
        self.tenant = tenant
        self.limits = limits
        self.acceptsStateDeltas = acceptsStateDeltas
        self.eventsRoutingKey = eventsRoutingKey
        self.leaseToken = leaseToken
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

extension RunActivity {
    /// A null answer is an answer: present as null, it must not read back as none.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        workflowId = try c.decode(String.self, forKey: .workflowId)
        attempt = try c.decode(Int.self, forKey: .attempt)
        agent = try c.decode(String.self, forKey: .agent)
        input = try c.decode(JSONValue.self, forKey: .input)
        checkpoint = try c.decodeIfPresent(Checkpoint.self, forKey: .checkpoint)
        humanInput = c.contains(.humanInput) ? .some(try c.decode(JSONValue.self, forKey: .humanInput)) : .none
        heartbeatIntervalSeconds = try c.decode(Double.self, forKey: .heartbeatIntervalSeconds)
        caller = try c.decodeIfPresent(String.self, forKey: .caller)
        tenant = try c.decodeIfPresent(String.self, forKey: .tenant)
        leaseToken = try c.decodeIfPresent(String.self, forKey: .leaseToken)
        eventsRoutingKey = try c.decodeIfPresent(String.self, forKey: .eventsRoutingKey)
        acceptsStateDeltas = try c.decodeIfPresent(Bool.self, forKey: .acceptsStateDeltas)
        limits = try c.decodeIfPresent(ActivityLimits.self, forKey: .limits)
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
        case .pauseActivity(let body):
            MessageCodec.encode(type: "pause_activity", body: body)
        }
    }

    /// Reads a command, checking its version first so an unknown version is reported as such.
    public static func decode(_ data: Data) throws(ContractError) -> WorkerCommand {
        let message = try MessageCodec.read(data)
        switch message.type {
        case "run_activity":
            let run = try MessageCodec.body(RunActivity.self, of: message)
            try check(workflowId: run.workflowId, attempt: run.attempt)
            guard run.heartbeatIntervalSeconds.isFinite, run.heartbeatIntervalSeconds > 0 else {
                throw .malformed("heartbeatIntervalSeconds must be a positive number")
            }
            guard Identifiers.isValidAgentName(run.agent) else {
                throw .malformed("agent is not an agent name (\(Identifiers.agentNameRule))")
            }
            // AMQP routing keys are short strings; a longer one could not be published.
            if let key = run.eventsRoutingKey, key.isEmpty || key.utf8.count > 255 {
                throw .malformed("eventsRoutingKey must be 1 to 255 bytes long")
            }
            // The worker resumes from it: there is nothing for a delta to apply to.
            if run.checkpoint?.isDelta == true {
                throw .malformed("a command's checkpoint must carry its whole state, not a stateDelta")
            }
            if let checkpoint = run.checkpoint { try WireChecks.check(checkpoint) }
            if let limits = run.limits { try WireChecks.check(limits) }
            return .runActivity(run)
        case "cancel_activity":
            let cancel = try MessageCodec.body(CancelActivity.self, of: message)
            try check(workflowId: cancel.workflowId, attempt: cancel.attempt)
            if let worker = cancel.workerId { try WireChecks.check(workerId: worker) }
            return .cancelActivity(cancel)
        case "pause_activity":
            let pause = try MessageCodec.body(PauseActivity.self, of: message)
            try check(workflowId: pause.workflowId, attempt: pause.attempt)
            try WireChecks.check(workerId: pause.workerId)
            return .pauseActivity(pause)
        default: throw .unknownType(message.type, known: knownTypes)
        }
    }

    /// Attempts start at 1; a command for attempt 0 or for no valid workflow id is not
    /// the scheduler's and must not run.
    private static func check(workflowId: String, attempt: Int) throws(ContractError) {
        guard attempt >= 1 else { throw .malformed("attempt must be 1 or more, got \(attempt)") }
        guard Identifiers.isValidWorkflowId(workflowId) else {
            throw .malformed("workflowId is not a workflow id (\(Identifiers.workflowIdRule))")
        }
    }
}
