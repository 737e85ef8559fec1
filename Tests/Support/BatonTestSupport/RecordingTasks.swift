import BatonContracts
import Foundation
import Synchronization

/// A `TaskDelegate` that records submissions and answers with a finished task, as a
/// scheduler would for a key held by `owner` (the caller of what it submits). Tasks in
/// `othersTasks` belong to someone else of the tenant. The real one, over the
/// scheduler's API, is exercised by the integration tests.
public final class RecordingTasks: TaskDelegate {
    let owner: String
    let othersTasks: [String: String]

    public init(owner: String = "bob", othersTasks: [String: String] = [:]) {
        self.owner = owner
        self.othersTasks = othersTasks
    }

    private let submissions = Mutex<[SubmitWorkflowRequest]>([])

    public var submitted: [SubmitWorkflowRequest] { submissions.withLock { $0 } }

    public func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView {
        submissions.withLock { $0.append(task) }
        return Self.view(id: task.id ?? "task-1", status: .pending, caller: task.caller ?? owner)
    }

    public func status(of id: String) async throws -> WorkflowView {
        Self.view(
            id: id, status: .completed, result: ["report": ["summary": "Carrier contracts explain most delays."]],
            caller: othersTasks[id] ?? owner)
    }

    private let files = Mutex<[String: Data]>([:])

    /// What was stored, by `<workflow>/<name>`.
    public var artifacts: [String: Data] { files.withLock { $0 } }

    public func storeArtifact(
        _ contents: Data, name: String, contentType: String, of workflowId: String
    ) async throws -> ArtifactView {
        files.withLock { $0["\(workflowId)/\(name)"] = contents }
        return ArtifactView(
            name: name, contentType: contentType, bytes: contents.count, sha256: "", createdAt: Date())
    }

    public static func view(
        id: String, status: WorkflowStatus, result: JSONValue? = nil, caller: String? = nil
    ) -> WorkflowView {
        WorkflowView(
            id: id, agent: "operations_analysis", status: status, attempt: 1, input: [:], progress: nil,
            result: result, error: nil, checkpointStep: nil, caller: caller, createdAt: Date(), updatedAt: Date())
    }
}
