import BatonAPI
import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation
import Logging
import Metrics

/// `/v1/workflows`: the operations of docs/openapi.yaml, whose routes, bodies and
/// statuses the generated `APIProtocol` fixes; this type only decides.
struct WorkflowController: APIProtocol {
    let engine: WorkflowEngine
    /// Submissions that arrive together are committed together.
    let submissions: GroupCommit<SubmitWorkflowRequest, WorkflowEngine.SubmitOutcome>
    let pool: PostgresPool
    let logger: Logger
    private let submitted = Counter(label: "baton_workflows_submitted_total")

    init(engine: WorkflowEngine, pool: PostgresPool, logger: Logger) {
        self.engine = engine
        submissions = GroupCommit(maximumInputs: 64, isTransient: engine.repository.isTransient) {
            try await engine.submit($0)
        }
        self.pool = pool
        self.logger = logger
    }

    func submitWorkflow(_ input: Operations.SubmitWorkflow.Input) async throws -> Operations.SubmitWorkflow.Output {
        guard case .json(let submission) = input.body else { preconditionFailure("the document has one body type") }
        if let problem = submission.validationError() { return .badRequest(.init(body: .json(.invalid(problem)))) }
        switch try await submissions.run([submission])[0] {
        case .created(var view, let warning):
            view.warnings = warning.map { [$0] }
            submitted.increment()
            logger.info("workflow submitted", metadata: ["workflow": "\(view.id)", "agent": "\(view.agent)"])
            return .created(.init(body: .json(view)))
        case .existing(let view):
            return .ok(.init(body: .json(view)))
        case .conflict(let view):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "workflow_exists",
                            message:
                                "workflow '\(view.id)' already exists with a different agent, input, options, caller or parent; choose another id"
                        ))))
        case .parentNotFound(let parent):
            return .badRequest(
                .init(
                    body: .json(APIError(code: "unknown_parent", message: "parentId: no workflow with id '\(parent)'")))
            )
        case .parentEnded(let parent, let status):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "parent_ended",
                            message:
                                "parentId: workflow '\(parent)' already ended (\(status.rawValue)); a child workflow needs a parent that is still running"
                        ))))
        case .unknownAgent(let known):
            return .badRequest(
                .init(
                    body: .json(
                        APIError(
                            code: "unknown_agent",
                            message:
                                "unknown agent '\(submission.agent)'; the live workers serve: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))",
                            details: ["agents": .array(known.map(JSONValue.string))]))))
        }
    }

    func listWorkflows(_ input: Operations.ListWorkflows.Input) async throws -> Operations.ListWorkflows.Output {
        let limit = input.query.limit ?? 50
        guard (1...1000).contains(limit) else {
            return .badRequest(.init(body: .json(.invalid("limit must be between 1 and 1000"))))
        }
        let parent = input.query.parent
        if let parent, !Identifiers.isValidWorkflowId(parent) {
            return .badRequest(
                .init(body: .json(.invalid("parent must be a workflow id (\(Identifiers.workflowIdRule))"))))
        }
        let views = try await pool.autocommit { db in
            try WorkflowReads.list(status: input.query.status, parent: parent, limit: limit, on: db)
        }
        return .ok(.init(body: .json(views)))
    }

    func getWorkflow(_ input: Operations.GetWorkflow.Input) async throws -> Operations.GetWorkflow.Output {
        let id = input.path.id
        guard Identifiers.isValidWorkflowId(id),
            let view = try await pool.autocommit({ db in try WorkflowReads.view(of: id, on: db) })
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        return .ok(.init(body: .json(view)))
    }

    func getWorkflowHistory(
        _ input: Operations.GetWorkflowHistory.Input
    ) async throws -> Operations.GetWorkflowHistory.Output {
        let id = input.path.id
        let limit = input.query.limit ?? 200
        guard (1...1000).contains(limit) else {
            return .badRequest(.init(body: .json(.invalid("limit must be between 1 and 1000"))))
        }
        let after = input.query.after ?? 0
        guard after >= 0 else { return .badRequest(.init(body: .json(.invalid("after must be 0 or more")))) }
        guard Identifiers.isValidWorkflowId(id),
            let entries = try await pool.autocommit({ db in
                try WorkflowReads.history(of: id, after: after, limit: limit, on: db)
            })
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        return .ok(.init(body: .json(entries)))
    }

    func cancelWorkflow(_ input: Operations.CancelWorkflow.Input) async throws -> Operations.CancelWorkflow.Output {
        let id = input.path.id
        var reason = "cancelled through the API"
        if case .json(let body) = input.body, let given = body.reason {
            guard given.count <= 1000, !given.contains("\u{0}") else {
                return .badRequest(
                    .init(body: .json(.invalid("'reason' must be at most 1000 characters, without NUL"))))
            }
            reason = given
        }
        switch try await command(.cancelRequested(reason: reason), to: id) {
        case .done(let view): return .ok(.init(body: .json(view)))
        case .notFound(let error): return .notFound(.init(body: .json(error)))
        case .badRequest(let error): return .badRequest(.init(body: .json(error)))
        case .conflict(let error): return .conflict(.init(body: .json(error)))
        case .past(let status):
            return .conflict(
                .init(
                    body: .json(
                        status.isTerminal
                            ? APIError(
                                code: "already_ended",
                                message:
                                    "workflow '\(id)' already ended (\(status.rawValue)); there is nothing to cancel")
                            : APIError(code: "conflict", message: "workflow '\(id)' is already being cancelled"))))
        }
    }

    func answerWorkflow(_ input: Operations.AnswerWorkflow.Input) async throws -> Operations.AnswerWorkflow.Output {
        let id = input.path.id
        guard case .json(let body) = input.body else { preconditionFailure("the document has one body type") }
        switch try await command(.humanInput(body.answer), to: id) {
        case .done(let view): return .ok(.init(body: .json(view)))
        case .notFound(let error): return .notFound(.init(body: .json(error)))
        case .badRequest(let error): return .badRequest(.init(body: .json(error)))
        case .conflict(let error): return .conflict(.init(body: .json(error)))
        case .past(let status):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "not_waiting",
                            message: "workflow '\(id)' is not waiting for input (it is \(status.rawValue))"))))
        }
    }

    /// What a person's command came to; each operation answers it with its own statuses.
    private enum CommandAnswer {
        case done(WorkflowView)
        case notFound(APIError)
        case badRequest(APIError)
        case conflict(APIError)
        /// The workflow is past the command (`status`): the operation says how.
        case past(WorkflowStatus)
    }

    private func command(_ event: WorkflowEvent, to id: String) async throws -> CommandAnswer {
        guard Identifiers.isValidWorkflowId(id) else { return .notFound(.noWorkflow(id)) }
        let (outcome, view) = try await engine.command(event, to: id)
        guard let view else { return .notFound(.noWorkflow(id)) }
        switch outcome {
        case .applied(ignored: .some): return .past(view.status)
        case .rejected(.waitsForChildWorkflow(let child)):
            return .conflict(
                APIError(
                    code: "waits_for_child",
                    message:
                        "workflow '\(id)' waits for its child workflow '\(child)', not for a person; it resumes when the child ends"
                ))
        case .rejected(.answerDoesNotFit(let question, let problem)):
            return .badRequest(
                APIError(code: "invalid_answer", message: "invalid answer to '\(question)': \(problem)"))
        case .applied(ignored: nil), .duplicate, .unknownWorkflow:
            return .done(view)
        }
    }
}

extension APIError {
    static func invalid(_ message: String) -> APIError { APIError(code: "invalid_request", message: message) }

    static func noWorkflow(_ id: String) -> APIError {
        Identifiers.isValidWorkflowId(id)
            ? APIError(code: "not_found", message: "no workflow with id '\(id)'")
            : APIError(code: "not_found", message: "no workflow with that id")
    }
}
