import BatonContracts
import BatonIdentity
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
    func submit(_ request: SubmitWorkflowRequest, tenant: String = TenantName.initial) async throws -> SubmitOutcome {
        try await submit([Submission(request: request, tenant: tenant)])[0]
    }

    /// A request and the tenant of whoever sent it: the workflow's tenant, and the one a
    /// parent must belong to.
    struct Submission: Sendable {
        var request: SubmitWorkflowRequest
        var tenant: String
        /// The submitting request's trace, which the first attempt continues.
        var trace: [String: String] = [:]
    }

    /// Several submissions in one transaction (`GroupCommit`), each with the outcome
    /// it would have alone: top-level workflows are inserted with one statement, and
    /// what their first dispatch writes goes out with the commit.
    func submit(_ submissions: [Submission]) async throws -> [SubmitOutcome] {
        try await transaction { tx, run in
            // An agent no live worker serves would only fail later: refuse it now.
            let agents = try tx.liveAgents(now: run.now)
            return try run.submit(submissions, liveAgents: agents, on: tx)
        }
    }
}

extension WorkflowEngine.Run {
    fileprivate mutating func submit(
        _ submissions: [WorkflowEngine.Submission], liveAgents agents: Set<String>?, on tx: any WorkflowTransaction
    ) throws -> [WorkflowEngine.SubmitOutcome] {
        let requests = submissions.map(\.request)
        var outcomes = [WorkflowEngine.SubmitOutcome?](repeating: nil, count: requests.count)
        var fresh: [(index: Int, workflow: NewWorkflow)] = []
        var later: [Int] = []
        var ids: Set<String> = []
        for (index, request) in requests.enumerated() {
            if let agents, !agents.contains(request.agent) {
                outcomes[index] = .unknownAgent(known: agents.sorted())
            } else if request.parentId != nil || request.id.map({ !ids.insert($0).inserted }) == true {
                later.append(index)  // a child locks its parent; a repeated id finds the first
            } else {
                let id = request.id ?? UUID().uuidString.lowercased()
                ids.insert(id)
                fresh.append((index, newWorkflow(submissions[index], id: id, childKey: nil)))
            }
        }
        let inserted = try tx.insertWorkflows(fresh.map(\.workflow))
        for (index, workflow) in fresh {
            trace = submissions[index].trace
            outcomes[index] =
                inserted.contains(workflow.id)
                ? try created(workflow, warning: Self.warning(requests[index], agents), on: tx)
                : try existing(workflow.id, fingerprint: workflow.fingerprint, on: tx)
        }
        for index in later {
            outcomes[index] = try submitAlone(
                submissions[index], warning: Self.warning(requests[index], agents), on: tx)
        }
        // Every request was answered above; a gap would be a bug, told rather than trapped on.
        return try zip(requests, outcomes).map { request, outcome in
            guard let outcome else { throw WorkflowEngineError.unanswered(request.id ?? request.agent) }
            return outcome
        }
    }

    private static func warning(_ request: SubmitWorkflowRequest, _ agents: Set<String>?) -> String? {
        agents == nil
            ? "no live worker has reported the agents it serves, so agent '\(request.agent)' was not checked; the workflow waits for a worker that serves it"
            : nil
    }

    private mutating func submitAlone(
        _ submission: WorkflowEngine.Submission, warning: String?, on tx: any WorkflowTransaction
    ) throws -> WorkflowEngine.SubmitOutcome {
        let request = submission.request
        trace = submission.trace
        let id: String
        var childKey: String?
        if let parent = request.parentId {
            // Locked: the parent cannot end while its child is being made. Another
            // tenant's workflow is no parent: its existence is not even told.
            guard let parentWorkflow = try tx.lockWorkflow(parent), parentWorkflow.tenant == submission.tenant else {
                return .parentNotFound(parent)
            }
            let key = Self.childKey(of: request, parent: parent)
            if let child = try tx.child(of: parent, key: key) {
                return try existing(
                    child.id, fingerprint: fingerprint(of: submission), on: tx, stored: child.fingerprint)
            }
            if parentWorkflow.machine.isTerminal { return .parentEnded(parent, parentWorkflow.machine.status) }
            childKey = key
            id = SubmitWorkflowRequest.childId(of: parent, key: "\(key)-\(engine.entropy.leaseToken().prefix(8))")
        } else {
            id = request.id ?? UUID().uuidString.lowercased()
        }
        let workflow = newWorkflow(submission, id: id, childKey: childKey)
        guard try tx.insertWorkflow(workflow) else {
            if let parent = request.parentId, let childKey, let child = try tx.child(of: parent, key: childKey) {
                return try existing(child.id, fingerprint: workflow.fingerprint, on: tx, stored: child.fingerprint)
            }
            return try existing(id, fingerprint: workflow.fingerprint, on: tx)
        }
        return try created(workflow, warning: warning, on: tx)
    }

    private func fingerprint(of submission: WorkflowEngine.Submission) -> String {
        let request = submission.request
        return JSONColumn.text(
            SubmitFingerprint(
                agent: request.agent, input: request.input ?? .object([:]),
                options: request.options ?? engine.settings.defaults, caller: request.caller,
                parentId: request.parentId,
                tenant: submission.tenant == TenantName.initial ? nil : submission.tenant))
    }

    private func newWorkflow(_ submission: WorkflowEngine.Submission, id: String, childKey: String?) -> NewWorkflow {
        let request = submission.request
        let options = request.options ?? engine.settings.defaults
        return NewWorkflow(
            id: id, agent: request.agent, input: request.input ?? .object([:]),
            fingerprint: fingerprint(of: submission), caller: request.caller, tenant: submission.tenant,
            parentId: request.parentId, childKey: childKey,
            machine: WorkflowStateMachine(options: options, agent: request.agent, parentId: request.parentId), now: now)
    }

    /// Dispatches the workflow just inserted; its view is made from what this
    /// transaction wrote, without reading it back.
    private mutating func created(
        _ workflow: NewWorkflow, warning: String?, on tx: any WorkflowTransaction
    ) throws -> WorkflowEngine.SubmitOutcome {
        _ = try apply(.command(workflowId: workflow.id, .submitted), on: tx)
        guard let machine = try tx.lockWorkflow(workflow.id)?.machine else {
            throw WorkflowEngineError.vanished(workflow.id)
        }
        let view = WorkflowView(
            id: workflow.id, agent: workflow.agent, status: machine.status, attempt: machine.attempt,
            input: workflow.input, progress: nil, result: nil, error: nil, checkpointStep: machine.checkpointStep,
            caller: workflow.caller, tenant: workflow.tenant, parentId: workflow.parentId, createdAt: now,
            updatedAt: now)
        return .created(view, warning: warning)
    }

    /// The workflow `id` that a submission found: the same request (`stored` equals its
    /// `fingerprint`) or another's.
    private func existing(
        _ id: String, fingerprint: String, on tx: any WorkflowTransaction, stored: String? = nil
    ) throws -> WorkflowEngine.SubmitOutcome {
        guard let view = try tx.view(of: id) else { throw WorkflowEngineError.vanished(id) }
        let stored = try stored ?? tx.fingerprint(of: id)
        return stored == fingerprint ? .existing(view) : .conflict(view)
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
    case unanswered(String)

    var description: String {
        switch self {
        case .vanished(let id): "workflow \(id) vanished inside its own transaction"
        case .unanswered(let request): "the submission of \(request) got no outcome in its batch"
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
    /// Left out for the initial tenant, keeping fingerprints of earlier workflows unchanged.
    var tenant: String?
}
