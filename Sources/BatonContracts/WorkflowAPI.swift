import Foundation

/// Where a workflow is in its life. The last four are terminal: a workflow reaches
/// exactly one of them, once.
public enum WorkflowStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case dispatched
    case running
    case backingOff = "backing_off"
    case awaitingInput = "awaiting_input"
    case cancelling
    /// An operator paused it: nothing runs until it is resumed.
    case paused
    case completed
    case failed
    case cancelled
    case timedOut = "timed_out"

    /// An unknown status names the known ones (a `?status=` filter is read with this).
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let status = WorkflowStatus(rawValue: text) else {
            let known = Self.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "unknown status '\(text)'; use one of \(known)"))
        }
        self = status
    }

    public var isTerminal: Bool {
        switch self {
        case .completed, .failed, .cancelled, .timedOut: true
        case .pending, .dispatched, .running, .backingOff, .awaitingInput, .cancelling, .paused: false
        }
    }
}

/// `POST /v1/workflows`.
public struct SubmitWorkflowRequest: Sendable, Hashable, Codable {
    /// Client-chosen id: submitting the same id again returns the existing workflow.
    public var id: String?
    public var agent: String
    public var input: JSONValue?
    /// Retry policy and timeouts; missing fields take the scheduler's defaults.
    public var options: WorkflowOptions?
    /// Who asked for this work (a person or a service); recorded and passed to the agent.
    public var caller: String?
    /// The workflow that delegated this one, when it is a child workflow.
    public var parentId: String?

    public init(
        id: String? = nil, agent: String, input: JSONValue? = nil, options: WorkflowOptions? = nil,
        caller: String? = nil, parentId: String? = nil
    ) {
        self.id = id
        self.agent = agent
        self.input = input
        self.options = options
        self.caller = caller
        self.parentId = parentId
    }

    /// An id for the child `key` of workflow `parent`: the same on every retry, so that a
    /// resubmission finds the child already started, and within the length limit
    /// however long the parent's id is.
    public static func childId(of parent: String, key: String) -> String {
        let id = "\(parent).\(key)"
        guard id.count > 128 else { return id }
        return "\(parent.prefix(100)).\(String(StableHash.fnv1a(id), radix: 16))"
    }

    /// Ids travel in URLs and AMQP messages: keep them short and unambiguous.
    public static let idPattern = Identifiers.workflowIdRule

    /// Nil when the request is acceptable, else what is wrong with it.
    public func validationError() -> String? {
        if let id, !Identifiers.isValidWorkflowId(id) {
            return "invalid workflow id '\(Self.printable(id))': use \(Self.idPattern)"
        }
        if !Identifiers.isValidAgentName(agent) {
            return "invalid agent name '\(Self.printable(agent))': use \(Identifiers.agentNameRule)"
        }
        if let caller, let problem = Identifiers.callerProblem(caller) { return problem }
        if let parentId, !Identifiers.isValidWorkflowId(parentId) {
            return "'parentId' must name a workflow (\(Identifiers.workflowIdRule)) when given"
        }
        if let problem = options?.validationError() { return "options: \(problem)" }
        return nil
    }

    /// A refused value shown back in an error: cut short, controls escaped.
    private static func printable(_ value: String) -> String {
        String(
            value.unicodeScalars.prefix(140).map {
                $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F ? String($0) : $0.escaped(asASCII: true)
            }.joined())
    }
}

/// What `GET /v1/workflows/{id}` returns.
public struct WorkflowView: Sendable, Hashable, Codable {
    public var id: String
    public var agent: String
    public var status: WorkflowStatus
    public var attempt: Int
    public var input: JSONValue
    public var progress: ActivityProgress?
    public var result: JSONValue?
    public var error: ActivityFailure?
    public var checkpointStep: Int?
    /// The question a person must answer while `status` is `awaiting_input`.
    public var interrupt: JSONValue?
    public var caller: String?
    /// The tenant the workflow belongs to (its submitter's).
    public var tenant: String?
    public var parentId: String?
    /// Tokens and cost of the agent's model calls so far (not counting child workflows).
    public var usage: UsageSummary?
    /// What the caller should know about an accepted submission (e.g. that no live
    /// worker has reported its agents, so the agent's name could not be checked).
    public var warnings: [String]?
    /// An operator paused it and the pause has not taken effect yet: its running
    /// attempt stops at its next checkpoint (or its answer waits for a resume).
    public var pausing: Bool?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, agent: String, status: WorkflowStatus, attempt: Int, input: JSONValue,
        progress: ActivityProgress?, result: JSONValue?, error: ActivityFailure?, checkpointStep: Int?,
        interrupt: JSONValue? = nil, caller: String? = nil, tenant: String? = nil, parentId: String? = nil,
        usage: UsageSummary? = nil, createdAt: Date, updatedAt: Date, pausing: Bool? = nil
    ) {
        self.pausing = pausing
        self.tenant = tenant
        self.interrupt = interrupt
        self.caller = caller
        self.parentId = parentId
        self.usage = usage
        self.id = id
        self.agent = agent
        self.status = status
        self.attempt = attempt
        self.input = input
        self.progress = progress
        self.result = result
        self.error = error
        self.checkpointStep = checkpointStep
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// `POST /v1/workflows/{id}/input`: the answer to the pending interrupt.
public struct HumanInputRequest: Sendable, Hashable, Codable {
    public var answer: JSONValue

    public init(answer: JSONValue) { self.answer = answer }
}

/// `POST /v1/workflows/{id}/fork` and `/retry`.
public struct ForkWorkflowRequest: Sendable, Hashable, Codable {
    /// The checkpoint to start from; the newest when nil.
    public var step: Int?
    /// The new workflow's id; a random one when nil.
    public var id: String?

    public init(step: Int? = nil, id: String? = nil) {
        self.step = step
        self.id = id
    }
}

/// `POST /v1/workflows/{id}/retry`: always from the newest checkpoint.
public struct RetryWorkflowRequest: Sendable, Hashable, Codable {
    /// The new workflow's id; a random one when nil.
    public var id: String?

    public init(id: String? = nil) { self.id = id }
}

/// `POST /v1/workflows/{id}/cancel`.
public struct CancelWorkflowRequest: Sendable, Hashable, Codable {
    public var reason: String?

    public init(reason: String? = nil) { self.reason = reason }
}
