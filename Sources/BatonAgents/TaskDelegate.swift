import BatonContracts

/// Long work handed to the workflow system: submit a task, read its status. Agents
/// see only this protocol; the implementation that talks to the scheduler's HTTP API
/// is `SchedulerTaskDelegate` (module BatonSchedulerClient).
public protocol TaskDelegate: Sendable {
    /// Submits a task; submitting the same `id` again returns the existing task.
    func submit(_ task: TaskSubmission) async throws -> TaskSnapshot
    func status(of id: String) async throws -> TaskSnapshot
}

public struct TaskSubmission: Sendable, Hashable, Codable {
    /// Chosen by the caller so that a retried submission finds the same task.
    public var id: String?
    public var agent: String
    public var input: JSONValue
    /// Who asked: travels with the task and is recorded with it.
    public var caller: String?
    /// The workflow delegating this task, for child workflows.
    public var parentId: String?

    public init(id: String? = nil, agent: String, input: JSONValue, caller: String? = nil, parentId: String? = nil) {
        self.id = id
        self.agent = agent
        self.input = input
        self.caller = caller
        self.parentId = parentId
    }
}

/// A task as its submitter sees it.
public struct TaskSnapshot: Sendable, Hashable, Codable {
    public var id: String
    public var agent: String
    public var status: WorkflowStatus
    public var progress: ActivityProgress?
    public var result: JSONValue?
    public var error: String?
    public var caller: String?

    public init(
        id: String, agent: String, status: WorkflowStatus, progress: ActivityProgress? = nil, result: JSONValue? = nil,
        error: String? = nil, caller: String? = nil
    ) {
        self.id = id
        self.agent = agent
        self.status = status
        self.progress = progress
        self.result = result
        self.error = error
        self.caller = caller
    }
}
