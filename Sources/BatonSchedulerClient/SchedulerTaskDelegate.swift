import BatonAgents
import BatonContracts

/// Agents' `TaskDelegate` over the scheduler's HTTP API: a task is a workflow.
public struct SchedulerTaskDelegate: TaskDelegate {
    public let client: SchedulerClient

    public init(baseURL: String) {
        self.client = SchedulerClient(baseURL: baseURL)
    }

    public func submit(_ task: TaskSubmission) async throws -> TaskSnapshot {
        Self.snapshot(
            try await client.submit(
                SubmitWorkflowRequest(
                    id: task.id, agent: task.agent, input: task.input, caller: task.caller, parentId: task.parentId)))
    }

    public func status(of id: String) async throws -> TaskSnapshot {
        Self.snapshot(try await client.workflow(id))
    }

    static func snapshot(_ view: WorkflowView) -> TaskSnapshot {
        TaskSnapshot(
            id: view.id, agent: view.agent, status: view.status, progress: view.progress, result: view.result,
            error: view.error.map { "\($0.kind): \($0.message)" }, caller: view.caller)
    }
}
