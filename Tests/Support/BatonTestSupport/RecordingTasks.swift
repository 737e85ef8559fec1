import BatonContracts
import Foundation
import Synchronization

/// A `TaskDelegate` that records submissions and answers with a finished task. The
/// real one, over the scheduler's API, is exercised by the integration tests.
public final class RecordingTasks: TaskDelegate {
    public init() {}

    private let submissions = Mutex<[SubmitWorkflowRequest]>([])

    public var submitted: [SubmitWorkflowRequest] { submissions.withLock { $0 } }

    public func submit(_ task: SubmitWorkflowRequest) async throws -> WorkflowView {
        submissions.withLock { $0.append(task) }
        return Self.view(id: task.id ?? "task-1", status: .pending, caller: task.caller)
    }

    public func status(of id: String) async throws -> WorkflowView {
        Self.view(id: id, status: .completed, result: ["report": ["summary": "Carrier contracts explain most delays."]])
    }

    public static func view(
        id: String, status: WorkflowStatus, result: JSONValue? = nil, caller: String? = nil
    ) -> WorkflowView {
        WorkflowView(
            id: id, agent: "operations_analysis", status: status, attempt: 1, input: [:], progress: nil,
            result: result, error: nil, checkpointStep: nil, caller: caller, createdAt: Date(), updatedAt: Date())
    }
}
