import BatonContracts
import BatonPostgres
import BatonWorkflow
import Foundation
import Hummingbird
import Logging
import Metrics

/// `/v1/workflows`: submit and read workflows.
struct WorkflowController: Sendable {
    let engine: WorkflowEngine
    /// Submissions that arrive together are committed together.
    let submissions: GroupCommit<SubmitWorkflowRequest, WorkflowEngine.SubmitOutcome>
    let pool: PostgresPool
    let maxRequestBytes: Int
    private let submitted = Counter(label: "baton_workflows_submitted_total")

    init(engine: WorkflowEngine, pool: PostgresPool, maxRequestBytes: Int) {
        self.engine = engine
        submissions = GroupCommit(maximumInputs: 64, isTransient: engine.repository.isTransient) {
            try await engine.submit($0)
        }
        self.pool = pool
        self.maxRequestBytes = maxRequestBytes
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post(use: submit)
        group.get(use: list)
        group.get("{id}", use: get)
        group.get("{id}/history", use: history)
        group.post("{id}/cancel", use: cancel)
        group.post("{id}/input", use: answer)
    }

    @Sendable func submit(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let submission = try await decode(SubmitWorkflowRequest.self, from: request)
        if let problem = submission.validationError() { throw HTTPError(.badRequest, message: problem) }
        switch try await submissions.run([submission])[0] {
        case .created(var view, let warning):
            view.warnings = warning.map { [$0] }
            submitted.increment()
            requestContext.logger.info(
                "workflow submitted", metadata: ["workflow": "\(view.id)", "agent": "\(view.agent)"])
            return try Self.json(view, status: .created)
        case .existing(let view):
            return try Self.json(view, status: .ok)
        case .conflict(let view):
            throw HTTPError(
                .conflict,
                message:
                    "workflow '\(view.id)' already exists with a different agent, input, options, caller or parent; choose another id"
            )
        case .parentNotFound(let parent):
            throw HTTPError(.badRequest, message: "parentId: no workflow with id '\(parent)'")
        case .parentEnded(let parent, let status):
            throw HTTPError(
                .conflict,
                message:
                    "parentId: workflow '\(parent)' already ended (\(status.rawValue)); a child workflow needs a parent that is still running"
            )
        case .unknownAgent(let known):
            throw HTTPError(
                .badRequest,
                message:
                    "unknown agent '\(submission.agent)'; the live workers serve: \(known.isEmpty ? "(none)" : known.joined(separator: ", "))"
            )
        }
    }

    @Sendable func list(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let status: WorkflowStatus?
        if let text = request.uri.queryParameters.get("status") {
            guard let parsed = WorkflowStatus(rawValue: text) else {
                let known = WorkflowStatus.allCases.map(\.rawValue).joined(separator: ", ")
                throw HTTPError(.badRequest, message: "unknown status '\(text)'; use one of \(known)")
            }
            status = parsed
        } else {
            status = nil
        }
        let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 50
        guard (1...1000).contains(limit) else {
            throw HTTPError(.badRequest, message: "limit must be between 1 and 1000")
        }
        let parent = request.uri.queryParameters.get("parent").map { String($0) }
        if let parent, !Identifiers.isValidWorkflowId(parent) {
            throw HTTPError(.badRequest, message: "parent must be a workflow id (\(Identifiers.workflowIdRule))")
        }
        let views = try await pool.autocommit { db in
            try WorkflowReads.list(status: status, parent: parent, limit: limit, on: db)
        }
        return try Self.json(views, status: .ok)
    }

    @Sendable func get(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let id = try Self.workflowId(requestContext)
        guard let view = try await pool.autocommit({ db in try WorkflowReads.view(of: id, on: db) }) else {
            throw HTTPError(.notFound, message: "no workflow with id '\(id)'")
        }
        return try Self.json(view, status: .ok)
    }

    /// `GET /v1/workflows/{id}/history?after=<sequence>&limit=200`: the events, oldest first.
    @Sendable func history(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let id = try Self.workflowId(requestContext)
        let after = request.uri.queryParameters.get("after").flatMap { Int($0) } ?? 0
        let limit = request.uri.queryParameters.get("limit").flatMap { Int($0) } ?? 200
        guard (1...1000).contains(limit) else {
            throw HTTPError(.badRequest, message: "limit must be between 1 and 1000")
        }
        guard
            let entries = try await pool.autocommit({ db in
                try WorkflowReads.history(of: id, after: after, limit: limit, on: db)
            })
        else { throw HTTPError(.notFound, message: "no workflow with id '\(id)'") }
        return try Self.json(entries, status: .ok)
    }

    /// `POST /v1/workflows/{id}/cancel`: stops the workflow; 409 when it already ended.
    @Sendable func cancel(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let id = try Self.workflowId(requestContext)
        let body = try await decode(CancelWorkflowRequest.self, from: request, emptyAllowed: true)
        if let reason = body?.reason, reason.count > 1000 || reason.contains("\u{0}") {
            throw HTTPError(.badRequest, message: "'reason' must be at most 1000 characters")
        }
        let reason = body?.reason ?? "cancelled through the API"
        return try await command(.cancelRequested(reason: reason), to: id) { status in
            status.isTerminal
                ? "workflow '\(id)' already ended (\(status.rawValue)); there is nothing to cancel"
                : "workflow '\(id)' is already being cancelled"
        }
    }

    @Sendable func answer(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let id = try Self.workflowId(requestContext)
        let body = try await decode(HumanInputRequest.self, from: request)
        return try await command(.humanInput(body.answer), to: id) { status in
            "workflow '\(id)' is not waiting for input (it is \(status.rawValue))"
        }
    }

    /// Applies a person's command: 200 with the workflow, 404, 409 when the workflow is
    /// past it (`conflict` says why), 400 or 409 when the machine refuses it.
    private func command(
        _ event: WorkflowEvent, to id: String, conflict: @Sendable (WorkflowStatus) -> String
    ) async throws -> Response {
        let (outcome, view) = try await engine.command(event, to: id)
        guard let view else { throw HTTPError(.notFound, message: "no workflow with id '\(id)'") }
        switch outcome {
        case .applied(ignored: .some): throw HTTPError(.conflict, message: conflict(view.status))
        case .rejected(.waitsForChildWorkflow(let child)):
            throw HTTPError(
                .conflict,
                message:
                    "workflow '\(id)' waits for its child workflow '\(child)', not for a person; it resumes when the child ends"
            )
        case .rejected(.answerDoesNotFit(let question, let problem)):
            throw HTTPError(.badRequest, message: "invalid answer to '\(question)': \(problem)")
        case .applied(ignored: nil), .duplicate, .unknownWorkflow:
            return try Self.json(view, status: .ok)
        }
    }

    private func decode<Body: Decodable>(_: Body.Type, from request: Request) async throws -> Body {
        guard let body = try await decode(Body.self, from: request, emptyAllowed: false) else {
            throw HTTPError(.badRequest, message: "invalid request body: the body is empty")
        }
        return body
    }

    private func decode<Body: Decodable>(_: Body.Type, from request: Request, emptyAllowed: Bool) async throws -> Body?
    {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: maxRequestBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body exceeds \(maxRequestBytes) bytes")
        }
        if buffer.readableBytes == 0 && emptyAllowed { return nil }
        let json: JSONValue
        do {
            json = try JSONValue.parse(Data(buffer: buffer), limits: .requestBody)
        } catch {
            throw HTTPError(.badRequest, message: "invalid request body: not valid JSON: \(error)")
        }
        do {
            return try JSONValueCoding.decode(Body.self, from: json)
        } catch {
            throw HTTPError(.badRequest, message: "invalid request body: \(Self.describe(error))")
        }
    }

    /// The `{id}` of the path; an id no workflow can have is a 404 without a query.
    private static func workflowId(_ context: BasicRequestContext) throws -> String {
        let id = try context.parameters.require("id")
        guard Identifiers.isValidWorkflowId(id) else { throw HTTPError(.notFound, message: "no workflow with that id") }
        return id
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "not valid JSON" }
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return "field '\(path)' should be \(type)"
        case .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? "not valid JSON" : "field '\(path)' is invalid: \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
