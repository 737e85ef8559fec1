import BatonAPI
import BatonContracts
import BatonIdentity
import BatonPostgres
import BatonTracing
import BatonWorkflow
import Foundation
import Logging
import Metrics
import OpenAPIRuntime

/// The operations of docs/openapi.yaml, whose routes, bodies and statuses the
/// generated `APIProtocol` fixes; this type only decides. Every operation acts for
/// `Principal.current` (set by `AuthenticationMiddleware`) within its tenant: another
/// tenant's workflow answers as no workflow at all.
struct WorkflowController: APIProtocol {
    let engine: WorkflowEngine
    /// Submissions that arrive together are committed together.
    let submissions: GroupCommit<WorkflowEngine.Submission, WorkflowEngine.SubmitOutcome>
    let pool: PostgresPool
    let keys: APIKeyStore
    let agents: AgentCatalog
    let streamTiming: StreamTiming
    /// Live model text for the workflow streams; nil shows none.
    let text: TextFanout?
    /// What `POST /v1/admin/prune` applies.
    let retention: RetentionPolicy
    /// The artifacts' caps.
    let limits: WorkflowLimits
    let logger: Logger
    private let submitted = Counter(label: "baton_workflows_submitted_total")

    init(
        engine: WorkflowEngine, pool: PostgresPool, keys: APIKeyStore, streamTiming: StreamTiming = StreamTiming(),
        text: TextFanout? = nil, retention: RetentionPolicy = RetentionPolicy(),
        limits: WorkflowLimits = WorkflowLimits(),
        logger: Logger
    ) {
        self.limits = limits
        self.retention = retention
        self.text = text
        self.engine = engine
        submissions = GroupCommit(maximumInputs: 64, isTransient: engine.repository.isTransient) {
            try await engine.submit($0)
        }
        self.pool = pool
        self.keys = keys
        agents = AgentCatalog(pool: pool)
        self.streamTiming = streamTiming
        self.logger = logger
    }

    /// The request's caller; the middleware sets it for every operation.
    var caller: Principal {
        get throws {
            guard let principal = Principal.current else { throw WorkflowControllerError.unauthenticated }
            return principal
        }
    }

    func submitWorkflow(_ input: Operations.SubmitWorkflow.Input) async throws -> Operations.SubmitWorkflow.Output {
        guard case .json(var submission) = input.body else { preconditionFailure("the document has one body type") }
        let caller = try caller
        if let problem = submission.validationError() { return .badRequest(.init(body: .json(.invalid(problem)))) }
        if let delegator = caller.delegatedBy, submission.parentId != delegator {
            return .forbidden(
                .init(
                    body: .json(
                        APIError(
                            code: "forbidden",
                            message:
                                "a workflow's delegation token submits only that workflow's children: set parentId to '\(delegator)'"
                        ))))
        }
        if let given = submission.caller, given != caller.subject {
            return .badRequest(
                .init(
                    body: .json(
                        .invalid(
                            "'caller' is set from your identity ('\(caller.subject)'); leave it out or give that"))))
        }
        submission.caller = caller.subject
        if let input = submission.input {
            let bytes = try JSONEncoder().encode(input).count
            let limit = engine.settings.maxInputBytes
            if bytes > limit {
                return .contentTooLarge(
                    .init(
                        body: .json(
                            APIError(
                                code: "input_too_large",
                                message:
                                    "the input is \(bytes) bytes, over the scheduler's limit of \(limit) (limits.max_input_bytes): it travels in every command of the workflow; pass large data by reference"
                            ))))
            }
        }
        let violations = try await agents.violations(of: submission.input ?? .object([:]), for: submission.agent)
        if !violations.isEmpty {
            return .badRequest(
                .init(
                    body: .json(
                        APIError(
                            code: "invalid_input",
                            message:
                                "the input does not fit agent '\(submission.agent)' (see GET /v1/agents): \(violations.map(\.description).joined(separator: "; "))",
                            details: ["violations": try JSONValue(encoding: violations)]))))
        }
        switch try await submissions.run([
            WorkflowEngine.Submission(request: submission, tenant: caller.tenant, trace: TraceHeaders.current())
        ])[0] {
        case .created(var view, let warning):
            view.warnings = warning.map { [$0] }
            submitted.increment()
            logger.info(
                "workflow submitted",
                metadata: [
                    "workflow": "\(view.id)", "agent": "\(view.agent)", "tenant": "\(caller.tenant)",
                    "caller": "\(caller.subject)",
                ])
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
        let caller = try caller
        let parent = input.query.parent ?? caller.delegatedBy
        if let parent, !Identifiers.isValidWorkflowId(parent) {
            return .badRequest(
                .init(body: .json(.invalid("parent must be a workflow id (\(Identifiers.workflowIdRule))"))))
        }
        if let delegator = caller.delegatedBy, parent != delegator {
            return .forbidden(
                .init(
                    body: .json(
                        APIError(
                            code: "forbidden",
                            message: "a workflow's delegation token lists only that workflow's children"))))
        }
        let views = try await pool.autocommit { db in
            try WorkflowReads.list(
                tenant: caller.tenant, status: input.query.status, parent: parent, limit: limit, on: db)
        }
        return .ok(.init(body: .json(views)))
    }

    func listAgents(_ input: Operations.ListAgents.Input) async throws -> Operations.ListAgents.Output {
        let agents = try await agents.agents
        return .ok(.init(body: .json(agents.keys.sorted().compactMap { agents[$0] })))
    }

    func getWorkflow(_ input: Operations.GetWorkflow.Input) async throws -> Operations.GetWorkflow.Output {
        let id = input.path.id
        let caller = try caller
        guard Identifiers.isValidWorkflowId(id),
            let view = try await pool.autocommit({ db in try WorkflowReads.view(of: id, on: db) }),
            caller.mayRead(view)
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
        let caller = try caller
        guard Identifiers.isValidWorkflowId(id),
            let entries = try await pool.autocommit({ db -> [WorkflowHistoryEntry]? in
                guard let view = try WorkflowReads.view(of: id, on: db), caller.mayRead(view) else { return nil }
                return try WorkflowReads.history(of: id, after: after, limit: limit, on: db)
            })
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        return .ok(.init(body: .json(entries)))
    }

    func streamWorkflowEvents(
        _ input: Operations.StreamWorkflowEvents.Input
    ) async throws -> Operations.StreamWorkflowEvents.Output {
        let id = input.path.id
        let after: Int
        switch Self.resumePoint(lastEventID: input.headers.lastEventID, after: input.query.after) {
        case .success(let point): after = point ?? 0
        case .failure(let error): return .badRequest(.init(body: .json(error)))
        }
        let caller = try caller
        guard Identifiers.isValidWorkflowId(id),
            let view = try await pool.autocommit({ db in try WorkflowReads.view(of: id, on: db) }), caller.mayRead(view)
        else { return .notFound(.init(body: .json(.noWorkflow(id)))) }
        let feed = WorkflowEventFeed(
            id: id, pool: pool, initial: view, after: after, timing: streamTiming, text: text, logger: logger)
        return .ok(.init(body: .textEventStream(Self.body(of: feed))))
    }

    func streamTenantEvents(
        _ input: Operations.StreamTenantEvents.Input
    ) async throws -> Operations.StreamTenantEvents.Output {
        let after: Int?
        switch Self.resumePoint(lastEventID: input.headers.lastEventID, after: nil) {
        case .success(let point): after = point
        case .failure(let error): return .badRequest(.init(body: .json(error)))
        }
        let feed = TenantEventFeed(
            principal: try caller, pool: pool, after: after, timing: streamTiming, logger: logger)
        return .ok(.init(body: .textEventStream(Self.body(of: feed))))
    }

    /// Where a stream resumes: `Last-Event-ID` (a reconnecting client's), else `after`.
    private static func resumePoint(lastEventID: String?, after: Int?) -> Result<Int?, APIError> {
        if let after, after < 0 { return .failure(.invalid("after must be 0 or more")) }
        if let lastEventID, !lastEventID.isEmpty {
            guard lastEventID.count <= 32, let point = Int(lastEventID), point >= 0 else {
                return .failure(.invalid("Last-Event-ID must be the id of an event this stream sent (a whole number)"))
            }
            return .success(point)
        }
        return .success(after)
    }

    /// A stream's body: its events as `text/event-stream`, written as they come.
    private static func body<Feed: AsyncSequence & Sendable>(of feed: Feed) -> HTTPBody
    where Feed.Element == ServerSentEvent {
        HTTPBody(feed.asEncodedServerSentEvents(), length: .unknown, iterationBehavior: .single)
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

    func pauseWorkflow(_ input: Operations.PauseWorkflow.Input) async throws -> Operations.PauseWorkflow.Output {
        let id = input.path.id
        switch try await command(.pauseRequested, to: id) {
        case .done(let view): return .ok(.init(body: .json(view)))
        case .notFound(let error): return .notFound(.init(body: .json(error)))
        case .badRequest(let error): return .badRequest(.init(body: .json(error)))
        case .conflict(let error): return .conflict(.init(body: .json(error)))
        case .past(let status):
            return .conflict(.init(body: .json(Self.pastControl(id, status, what: "pause"))))
        }
    }

    func resumeWorkflow(_ input: Operations.ResumeWorkflow.Input) async throws -> Operations.ResumeWorkflow.Output {
        let id = input.path.id
        switch try await command(.resumeRequested, to: id) {
        case .done(let view): return .ok(.init(body: .json(view)))
        case .notFound(let error): return .notFound(.init(body: .json(error)))
        case .badRequest(let error): return .badRequest(.init(body: .json(error)))
        case .conflict(let error): return .conflict(.init(body: .json(error)))
        case .past(let status):
            return .conflict(
                .init(
                    body: .json(
                        status.isTerminal
                            ? Self.pastControl(id, status, what: "resume")
                            : APIError(
                                code: "not_paused",
                                message: "workflow '\(id)' is not paused (it is \(status.rawValue)); nothing to resume")
                    )))
        }
    }

    func terminateWorkflow(
        _ input: Operations.TerminateWorkflow.Input
    ) async throws -> Operations.TerminateWorkflow.Output {
        let id = input.path.id
        var reason = "terminated through the API"
        if case .json(let body) = input.body, let given = body.reason {
            guard given.count <= 1000, !given.contains("\u{0}") else {
                return .badRequest(
                    .init(body: .json(.invalid("'reason' must be at most 1000 characters, without NUL"))))
            }
            reason = given
        }
        switch try await command(.terminateRequested(reason: reason), to: id) {
        case .done(let view): return .ok(.init(body: .json(view)))
        case .notFound(let error): return .notFound(.init(body: .json(error)))
        case .badRequest(let error): return .badRequest(.init(body: .json(error)))
        case .conflict(let error): return .conflict(.init(body: .json(error)))
        case .past(let status): return .conflict(.init(body: .json(Self.pastControl(id, status, what: "terminate"))))
        }
    }

    func forkWorkflow(_ input: Operations.ForkWorkflow.Input) async throws -> Operations.ForkWorkflow.Output {
        let request: ForkWorkflowRequest
        if case .json(let body) = input.body { request = body } else { request = ForkWorkflowRequest() }
        switch try await fork(input.path.id, request, retry: false) {
        case .success(let view): return .created(.init(body: .json(view)))
        case .failure(.notFound(let error)): return .notFound(.init(body: .json(error)))
        case .failure(.badRequest(let error)): return .badRequest(.init(body: .json(error)))
        case .failure(.conflict(let error)): return .conflict(.init(body: .json(error)))
        }
    }

    func retryWorkflow(_ input: Operations.RetryWorkflow.Input) async throws -> Operations.RetryWorkflow.Output {
        var request = ForkWorkflowRequest()
        if case .json(let body) = input.body { request.id = body.id }
        switch try await fork(input.path.id, request, retry: true) {
        case .success(let view): return .created(.init(body: .json(view)))
        case .failure(.notFound(let error)): return .notFound(.init(body: .json(error)))
        case .failure(.badRequest(let error)): return .badRequest(.init(body: .json(error)))
        case .failure(.conflict(let error)): return .conflict(.init(body: .json(error)))
        }
    }

    /// Why a fork or retry is refused, by status.
    private enum ForkRefusal: Error {
        case notFound(APIError)
        case badRequest(APIError)
        case conflict(APIError)
    }

    private func fork(
        _ source: String, _ request: ForkWorkflowRequest, retry: Bool
    ) async throws -> Result<WorkflowView, ForkRefusal> {
        let caller = try caller
        if caller.delegatedBy != nil {
            return .failure(
                .badRequest(APIError(code: "forbidden", message: "a workflow's delegation token cannot fork workflows"))
            )
        }
        if let id = request.id, !Identifiers.isValidWorkflowId(id) {
            return .failure(.badRequest(.invalid("id must be a workflow id (\(Identifiers.workflowIdRule))")))
        }
        if let step = request.step, step < 0 { return .failure(.badRequest(.invalid("step must be 0 or more"))) }
        guard Identifiers.isValidWorkflowId(source) else { return .failure(.notFound(.noWorkflow(source))) }
        let outcome = try await engine.fork(
            WorkflowEngine.Fork(
                source: source, step: request.step, id: request.id, tenant: caller.tenant, by: caller.subject,
                retry: retry))
        switch outcome {
        case .created(let view):
            logger.info(
                retry ? "workflow retried" : "workflow forked",
                metadata: [
                    "workflow": "\(view.id)", "source": "\(source)", "tenant": "\(caller.tenant)",
                    "by": "\(caller.subject)",
                ])
            return .success(view)
        case .notFound: return .failure(.notFound(.noWorkflow(source)))
        case .noCheckpoint(let step):
            let kept = try await pool.autocommit { db in try WorkflowReads.checkpointSteps(of: source, on: db) }
            return .failure(
                .notFound(
                    APIError(
                        code: "no_checkpoint",
                        message:
                            "workflow '\(source)' keeps no checkpoint \(step); it keeps: \(kept.isEmpty ? "none" : kept.map(String.init).joined(separator: ", "))",
                        details: ["steps": .array(kept.map { .number(Double($0)) })])))
        case .idTaken(let id):
            return .failure(
                .conflict(
                    APIError(code: "workflow_exists", message: "workflow '\(id)' already exists; choose another id")))
        case .notRetryable(let status):
            return .failure(
                .conflict(
                    APIError(
                        code: "not_retryable",
                        message:
                            "workflow '\(source)' is \(status.rawValue): only a failed, timed-out or cancelled workflow is retried (fork it to run it again from a checkpoint)"
                    )))
        }
    }

    private static func pastControl(_ id: String, _ status: WorkflowStatus, what: String) -> APIError {
        status.isTerminal
            ? APIError(
                code: "already_ended",
                message: "workflow '\(id)' already ended (\(status.rawValue)); there is nothing to \(what)")
            : APIError(code: "conflict", message: "workflow '\(id)' cannot \(what) now: it is \(status.rawValue)")
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
        let caller = try caller
        guard Identifiers.isValidWorkflowId(id),
            try await pool.autocommit({ db in try WorkflowReads.tenant(of: id, on: db) }) == caller.tenant
        else { return .notFound(.noWorkflow(id)) }
        let (outcome, view) = try await engine.command(event, to: id, by: caller.subject)
        guard let view else { return .notFound(.noWorkflow(id)) }
        switch outcome {
        case .applied(ignored: .duplicate?) where event == .pauseRequested: return .done(view)
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
        case .applied(ignored: nil):
            logger.info(
                "\(Self.describe(event)) through the API",
                metadata: [
                    "workflow": "\(id)", "agent": "\(view.agent)", "tenant": "\(caller.tenant)",
                    "by": "\(caller.subject)", "status": "\(view.status.rawValue)",
                ])
            return .done(view)
        case .duplicate, .unknownWorkflow:
            return .done(view)
        }
    }

    /// What an operator's or a person's command did, for the log.
    private static func describe(_ event: WorkflowEvent) -> String {
        switch event {
        case .humanInput: "workflow answered"
        case .cancelRequested: "workflow cancel requested"
        case .pauseRequested: "workflow pause requested"
        case .resumeRequested: "workflow resumed"
        case .terminateRequested: "workflow terminated"
        default: "workflow command applied"
        }
    }
}

extension WorkflowController {
    func createKey(_ input: Operations.CreateKey.Input) async throws -> Operations.CreateKey.Output {
        guard case .json(let request) = input.body else { preconditionFailure("the document has one body type") }
        let caller = try caller
        guard !request.name.isEmpty, request.name.count <= 128,
            !request.name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        else {
            return .badRequest(
                .init(body: .json(.invalid("'name' must be 1 to 128 characters, without control characters"))))
        }
        let roles: Set<Role>
        switch Role.parse(request.roles.joined(separator: ",")) {
        case .success(let parsed): roles = parsed
        case .failure(let error): return .badRequest(.init(body: .json(.invalid("roles: \(error)"))))
        }
        let created = try await keys.create(name: request.name, tenant: caller.tenant, roles: roles)
        logger.info(
            "API key created",
            metadata: [
                "key": "\(created.key.id)", "name": "\(request.name)", "tenant": "\(caller.tenant)",
                "by": "\(caller.subject)",
            ])
        return .created(.init(body: .json(created)))
    }

    func getIdentity(_ input: Operations.GetIdentity.Input) async throws -> Operations.GetIdentity.Output {
        let caller = try caller
        return .ok(
            .init(
                body: .json(
                    CallerIdentity(
                        subject: caller.subject, tenant: caller.tenant, roles: caller.roles.sorted().map(\.rawValue),
                        delegatedBy: caller.delegatedBy))))
    }

    func listKeys(_ input: Operations.ListKeys.Input) async throws -> Operations.ListKeys.Output {
        .ok(.init(body: .json(try await keys.list(tenant: try caller.tenant))))
    }

    func revokeKey(_ input: Operations.RevokeKey.Input) async throws -> Operations.RevokeKey.Output {
        let caller = try caller
        switch try await keys.revoke(id: input.path.id, tenant: caller.tenant) {
        case .revoked(let key):
            logger.info(
                "API key revoked",
                metadata: ["key": "\(key.id)", "tenant": "\(caller.tenant)", "by": "\(caller.subject)"])
            return .ok(.init(body: .json(key)))
        case .configured(let key):
            return .conflict(
                .init(
                    body: .json(
                        APIError(
                            code: "configured_key",
                            message:
                                "key '\(key.name)' comes from the scheduler's configuration (api_keys); remove it there and restart"
                        ))))
        case .notFound:
            return .notFound(
                .init(body: .json(APIError(code: "not_found", message: "no API key with id '\(input.path.id)'"))))
        }
    }
}

enum WorkflowControllerError: Error, CustomStringConvertible {
    case unauthenticated

    var description: String { "an operation ran without a caller: the authentication middleware is not installed" }
}

extension Principal {
    /// Whether the caller may see `view`: its tenant's, and for a delegation token only
    /// the delegating workflow and its children.
    func mayRead(_ view: WorkflowView) -> Bool {
        guard view.tenant == tenant else { return false }
        guard let delegatedBy else { return true }
        return view.id == delegatedBy || view.parentId == delegatedBy
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
