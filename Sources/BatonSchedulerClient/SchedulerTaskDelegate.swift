import BatonContracts

/// Agents' `TaskDelegate` over the scheduler's HTTP API.
public struct SchedulerTaskDelegate: TaskDelegate {
    public let client: SchedulerClient

    public init(baseURL: String) {
        self.client = SchedulerClient(baseURL: baseURL)
    }

    public func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView {
        try await client.submit(task)
    }

    public func status(of id: String) async throws -> WorkflowView {
        try await client.workflow(id)
    }
}
