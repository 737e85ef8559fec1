import Foundation

/// Long work handed to the workflow system: submit a task, read its status. A task is
/// a workflow, described by the API contract (`SubmitWorkflowRequest`, `WorkflowView`);
/// agents see only this protocol. The implementation over the scheduler's HTTP API is
/// `SchedulerTaskDelegate` (module BatonSchedulerClient).
public protocol TaskDelegate: Sendable {
    /// Submits a task; submitting the same `id` again returns the existing task.
    func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView
    func status(of id: String) async throws -> WorkflowView
    /// Stores a file of the running workflow `workflowId` by reference (its result then
    /// names it), replacing one of the same name; `contentType` is one of
    /// `ArtifactView.contentTypes`.
    func storeArtifact(
        _ contents: Data, name: String, contentType: String, of workflowId: String
    ) async throws -> ArtifactView
}
