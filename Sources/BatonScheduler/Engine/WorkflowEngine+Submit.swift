import BatonContracts
import BatonWorkflow
import Foundation

extension WorkflowEngine {
    enum SubmitOutcome: Sendable {
        /// Made now; `warning` when the agent could not be checked.
        case created(WorkflowView, warning: String?)
        case existing(WorkflowView)
        /// The id is taken by a workflow with another agent, input, caller or parent.
        case conflict(WorkflowView)
        /// `parentId` names no workflow.
        case parentNotFound(String)
        /// The parent already ended: nobody would read the child's result, and nothing
        /// would cancel it.
        case parentEnded(String, WorkflowStatus)
        /// No live worker serves the agent; `known` are those they serve.
        case unknownAgent(known: [String])
    }

    /// Creates the workflow the request describes, or finds the one it already made.
    ///
    /// A child workflow's id is made here, not by its parent's agent: it is the parent's
    /// id, the key the parent gave (`id`, or the agent's name) and a random part, so that
    /// nobody can take a child's id before its parent submits it. The same parent and
    /// key find the same child again (a resumed parent resubmitting after a crash).
    func submit(_ request: SubmitWorkflowRequest) async throws -> SubmitOutcome {
        try await transaction { tx, run in
            // An agent no live worker serves would only fail later: refuse it now.
            let agents = try tx.liveAgents(now: run.now)
            if let agents, !agents.contains(request.agent) { return .unknownAgent(known: agents.sorted()) }
            let warning =
                agents == nil
                ? "no live worker has reported the agents it serves, so agent '\(request.agent)' was not checked; the workflow waits for a worker that serves it"
                : nil
            return try run.submit(request, warning: warning, on: tx)
        }
    }
}

extension WorkflowEngine.Run {
    fileprivate mutating func submit(
        _ request: SubmitWorkflowRequest, warning: String?, on tx: any WorkflowTransaction
    ) throws -> WorkflowEngine.SubmitOutcome {
        let input = request.input ?? .object([:])
        let options = request.options ?? engine.settings.defaults
        let fingerprint = JSONColumn.text(
            SubmitFingerprint(
                agent: request.agent, input: input, options: options, caller: request.caller,
                parentId: request.parentId))
        func existing(_ id: String, fingerprint stored: String?) throws -> WorkflowEngine.SubmitOutcome {
            guard let view = try tx.view(of: id) else { throw WorkflowEngineError.vanished(id) }
            return stored == fingerprint ? .existing(view) : .conflict(view)
        }
        let id: String
        var childKey: String?
        if let parent = request.parentId {
            // Locked: the parent cannot end while its child is being made.
            guard let parentWorkflow = try tx.lockWorkflow(parent) else { return .parentNotFound(parent) }
            let key = Self.childKey(of: request, parent: parent)
            if let child = try tx.child(of: parent, key: key) {
                return try existing(child.id, fingerprint: child.fingerprint)
            }
            if parentWorkflow.machine.isTerminal { return .parentEnded(parent, parentWorkflow.machine.status) }
            childKey = key
            id = SubmitWorkflowRequest.childId(of: parent, key: "\(key)-\(engine.entropy.leaseToken().prefix(8))")
        } else {
            id = request.id ?? UUID().uuidString.lowercased()
        }
        let machine = WorkflowStateMachine(options: options, agent: request.agent, parentId: request.parentId)
        let inserted = try tx.insertWorkflow(
            NewWorkflow(
                id: id, agent: request.agent, input: input, fingerprint: fingerprint, caller: request.caller,
                parentId: request.parentId, childKey: childKey, machine: machine, now: now))
        guard inserted else {
            if let parent = request.parentId, let childKey, let child = try tx.child(of: parent, key: childKey) {
                return try existing(child.id, fingerprint: child.fingerprint)
            }
            return try existing(id, fingerprint: try tx.fingerprint(of: id))
        }
        _ = try apply(.command(workflowId: id, .submitted), on: tx)
        guard let view = try tx.view(of: id) else { throw WorkflowEngineError.vanished(id) }
        return .created(view, warning: warning)
    }

    /// The key of a child within its parent: the id the parent's agent asked for
    /// (without the parent's id in front, as `childId(of:key:)` builds it), or its agent.
    private static func childKey(of request: SubmitWorkflowRequest, parent: String) -> String {
        guard let requested = request.id else { return request.agent }
        let prefix = "\(parent)."
        return requested.hasPrefix(prefix) ? String(requested.dropFirst(prefix.count)) : requested
    }
}

enum WorkflowEngineError: Error, CustomStringConvertible {
    case vanished(String)

    var description: String {
        switch self {
        case .vanished(let id): "workflow \(id) vanished inside its own transaction"
        }
    }
}

/// What makes two submissions of one id the same request. Caller and parent count,
/// so that a submission by someone else is a conflict, never adopted as theirs (both
/// are left out when absent, keeping fingerprints of earlier workflows unchanged).
private struct SubmitFingerprint: Encodable {
    var agent: String
    var input: JSONValue
    var options: WorkflowOptions
    var caller: String?
    var parentId: String?
}
