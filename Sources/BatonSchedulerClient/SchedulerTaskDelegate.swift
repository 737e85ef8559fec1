import BatonContracts
import Foundation

/// Agents' `TaskDelegate` over the scheduler's HTTP API.
public struct SchedulerTaskDelegate: TaskDelegate {
    public let client: SchedulerClient

    /// `credential`: whose tasks these are (a person's API key for the assistant); nil
    /// in a worker, whose calls carry the running attempt's `SchedulerCredential`.
    public init(baseURL: String, credential: String? = nil) {
        self.client = SchedulerClient(baseURL: baseURL, credential: credential)
    }

    public func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView {
        try await client.submit(task)
    }

    public func status(of id: String) async throws -> WorkflowView {
        try await client.workflow(id)
    }

    public func storeArtifact(
        _ contents: Data, name: String, contentType: String, of workflowId: String
    ) async throws -> ArtifactView {
        try await client.storeArtifact(contents, name: name, contentType: contentType, of: workflowId)
    }
}
