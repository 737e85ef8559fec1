import BatonContracts
import BatonPostgres
import Foundation
import Hummingbird
import Logging
import Metrics

/// `/v1/workflows`: submit and read workflows.
struct WorkflowController: Sendable {
    let pool: PostgresPool
    let context: WorkflowStore.Context
    let relayWake: WakeSignal
    let maxRequestBytes: Int
    private let submitted = Counter(label: "baton_workflows_submitted_total")

    init(pool: PostgresPool, context: WorkflowStore.Context, relayWake: WakeSignal, maxRequestBytes: Int) {
        self.pool = pool
        self.context = context
        self.relayWake = relayWake
        self.maxRequestBytes = maxRequestBytes
    }

    func addRoutes(to group: RouterGroup<BasicRequestContext>) {
        group.post(use: submit)
        group.get("{id}", use: get)
    }

    @Sendable func submit(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maxRequestBytes)
        } catch {
            throw HTTPError(.contentTooLarge, message: "request body exceeds \(maxRequestBytes) bytes")
        }
        let submission: SubmitWorkflowRequest
        do {
            submission = try JSONDecoder().decode(SubmitWorkflowRequest.self, from: Data(buffer: body))
        } catch {
            throw HTTPError(.badRequest, message: "invalid request body: \(Self.describe(error))")
        }
        if let problem = submission.validationError() { throw HTTPError(.badRequest, message: problem) }
        let id = submission.id ?? UUID().uuidString.lowercased()
        let storeContext = context
        let outcome = try await pool.transaction { db in
            try WorkflowStore.submit(id: id, request: submission, now: Date(), context: storeContext, on: db)
        }
        switch outcome {
        case .created(let view):
            submitted.increment()
            relayWake.signal()
            requestContext.logger.info("workflow submitted", metadata: ["workflow": "\(id)", "agent": "\(view.agent)"])
            return try Self.json(view, status: .created)
        case .existing(let view):
            return try Self.json(view, status: .ok)
        case .conflict:
            throw HTTPError(
                .conflict,
                message: "workflow '\(id)' already exists with a different agent or input; choose another id")
        }
    }

    @Sendable func get(request: Request, context requestContext: BasicRequestContext) async throws -> Response {
        let id = try requestContext.parameters.require("id")
        guard let view = try await pool.withConnection({ db in try await db.view(id: id) }) else {
            throw HTTPError(.notFound, message: "no workflow with id '\(id)'")
        }
        return try Self.json(view, status: .ok)
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
        case .dataCorrupted: return "not valid JSON"
        @unknown default: return "\(error)"
        }
    }
}

extension PostgresConnection {
    fileprivate func view(id: String) throws -> WorkflowView? {
        try WorkflowStore.view(id: id, on: self)
    }
}
