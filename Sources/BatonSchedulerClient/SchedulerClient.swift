import BatonAPI
import BatonContracts
import BatonHTTPClient
import Foundation
import OpenAPIRuntime

/// The scheduler's HTTP API (docs/openapi.yaml) from the outside: the CLI, workers
/// that delegate child workflows, and the chat assistant's tools use it. A thin layer
/// over the generated `Client` that turns every documented error into a
/// `SchedulerClientError` with the scheduler's own message.
public struct SchedulerClient: Sendable {
    public let baseURL: String
    private let client: Client

    /// `credential`: the API key (or a running attempt's delegation token) sent with
    /// every request; `BATON_API_KEY` holds it for the CLI.
    public init(baseURL: String, credential: String?, timeout: Duration = .seconds(30)) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        client = Client(
            serverURL: URL(string: self.baseURL) ?? URL(fileURLWithPath: "/"), configuration: APIConfiguration.runtime,
            transport: CurlClientTransport(timeout: timeout), middlewares: [BearerCredential(token: credential)])
    }

    public func submit(_ request: SubmitWorkflowRequest) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch try await client.submitWorkflow(body: .json(request)) {
            case .created(let created): .value(try created.body.json)
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func workflow(_ id: String) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch try await client.getWorkflow(path: .init(id: id)) {
            case .ok(let ok): .value(try ok.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func list(
        status: WorkflowStatus?, parent: String? = nil, limit: Int
    ) async throws(SchedulerClientError) -> [WorkflowView] {
        try await call { () async throws -> Outcome<[WorkflowView]> in
            switch try await client.listWorkflows(query: .init(status: status, parent: parent, limit: limit)) {
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func history(
        _ id: String, after: Int = 0, limit: Int = 200
    ) async throws(SchedulerClientError) -> [WorkflowHistoryEntry] {
        try await call { () async throws -> Outcome<[WorkflowHistoryEntry]> in
            switch try await client.getWorkflowHistory(path: .init(id: id), query: .init(after: after, limit: limit)) {
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func cancel(_ id: String, reason: String?) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            let output = try await client.cancelWorkflow(
                path: .init(id: id), body: .json(CancelWorkflowRequest(reason: reason)))
            return switch output {
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func answer(_ id: String, _ answer: JSONValue) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch try await client.answerWorkflow(path: .init(id: id), body: .json(HumanInputRequest(answer: answer)))
            {
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func createKey(name: String, roles: [String]) async throws(SchedulerClientError) -> CreatedAPIKey {
        try await call { () async throws -> Outcome<CreatedAPIKey> in
            switch try await client.createKey(body: .json(CreateAPIKeyRequest(name: name, roles: roles))) {
            case .created(let created): .value(try created.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// Who the scheduler takes this client's credential for.
    public func identity() async throws(SchedulerClientError) -> CallerIdentity {
        try await call { () async throws -> Outcome<CallerIdentity> in
            switch try await client.getIdentity() {
            case .ok(let ok): .value(try ok.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// A workflow's live events, from just after history entry `after` (all with nil):
    /// one connection, which ends with the workflow, the connection, or the scheduler.
    /// `follow` reconnects by itself.
    public func events(
        of id: String, after: Int? = nil
    ) async throws(SchedulerClientError) -> AsyncThrowingStream<WorkflowStreamEvent, any Error> {
        let body = try await call { () async throws -> Outcome<HTTPBody> in
            switch try await client.streamWorkflowEvents(
                path: .init(id: id), headers: .init(lastEventID: after.map(String.init)))
            {
            case .ok(let ok): .value(try ok.body.textEventStream)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
        let events = body.asDecodedServerSentEvents()
        return AsyncThrowingStream { continuation in
            let reading = Task {
                do {
                    let decoder = Self.decoder
                    for try await event in events {
                        let data = Data((event.data ?? "").utf8)
                        switch event.event {
                        case "workflow":
                            continuation.yield(.workflow(try decoder.decode(WorkflowView.self, from: data)))
                        case "history":
                            continuation.yield(.history(try decoder.decode(WorkflowHistoryEntry.self, from: data)))
                        case "text":
                            continuation.yield(.text(try decoder.decode(TextDelta.self, from: data)))
                        case "end":
                            continuation.yield(.end(try decoder.decode(WorkflowView.self, from: data)))
                            continuation.finish()
                            return
                        default: continue  // a keep-alive, or an event of a later version
                        }
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reading.cancel() }
        }
    }

    /// Every change to the caller's tenant's workflows from history position `after`
    /// (the present with nil): each workflow as it is after the change, with the
    /// position to resume from. One connection; it ends with the connection.
    public func changes(
        after: Int? = nil
    ) async throws(SchedulerClientError) -> AsyncThrowingStream<(position: Int, workflow: WorkflowView), any Error> {
        let body = try await call { () async throws -> Outcome<HTTPBody> in
            switch try await client.streamTenantEvents(headers: .init(lastEventID: after.map(String.init))) {
            case .ok(let ok): .value(try ok.body.textEventStream)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
        let events = body.asDecodedServerSentEvents()
        return AsyncThrowingStream { continuation in
            let reading = Task {
                do {
                    for try await event in events where event.event == "workflow" {
                        let view = try Self.decoder.decode(WorkflowView.self, from: Data((event.data ?? "").utf8))
                        continuation.yield((event.id.flatMap { Int($0) } ?? 0, view))
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in reading.cancel() }
        }
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    /// A workflow's events until it ends, across lost connections and scheduler
    /// restarts: each reconnect resumes after the last history entry received, so none
    /// is missed or repeated. A refusal (the workflow is not found, the key is
    /// revoked) ends it with that error; `onReconnect` hears of each lost connection.
    public func follow(
        _ id: String, after: Int? = nil, onReconnect: @escaping @Sendable (SchedulerClientError) -> Void = { _ in }
    ) -> AsyncThrowingStream<WorkflowStreamEvent, any Error> {
        AsyncThrowingStream { continuation in
            let following = Task {
                var position = after
                var delay = Duration.milliseconds(250)
                while !Task.isCancelled {
                    do {
                        for try await event in try await events(of: id, after: position) {
                            delay = .milliseconds(250)
                            continuation.yield(event)
                            switch event {
                            case .history(let entry): position = entry.sequence
                            case .end:
                                continuation.finish()
                                return
                            case .workflow, .text: break
                            }
                        }
                        onReconnect(SchedulerClientError(message: "the scheduler closed the stream", status: nil))
                    } catch let error as SchedulerClientError where error.status.map({ $0 != 503 }) ?? false {
                        continuation.finish(throwing: error)
                        return
                    } catch let error as SchedulerClientError {
                        onReconnect(error)
                    } catch {
                        onReconnect(SchedulerClientError(message: "the stream broke: \(error)", status: nil))
                    }
                    try? await Task.sleep(for: delay)
                    delay = min(delay * 2, .seconds(5))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in following.cancel() }
        }
    }

    /// An operator's command to one workflow.
    public enum Control: String, Sendable, CaseIterable {
        case pause, resume, terminate
    }

    /// Pauses, resumes or terminates workflow `id`; `reason` is kept with a terminate.
    public func control(
        _ control: Control, _ id: String, reason: String? = nil
    ) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch control {
            case .pause:
                switch try await client.pauseWorkflow(path: .init(id: id)) {
                case .ok(let ok): .value(try ok.body.json)
                case .badRequest(let error): .refused(400, try error.body.json)
                case .notFound(let error): .refused(404, try error.body.json)
                case .conflict(let error): .refused(409, try error.body.json)
                case .contentTooLarge(let error): .refused(413, try error.body.json)
                case .unsupportedMediaType(let error): .refused(415, try error.body.json)
                case .unauthorized(let error): .refused(401, try error.body.json)
                case .forbidden(let error): .refused(403, try error.body.json)
                case .serviceUnavailable(let error): .refused(503, try error.body.json)
                case .undocumented(let status, let payload): .undocumented(status, payload)
                }
            case .resume:
                switch try await client.resumeWorkflow(path: .init(id: id)) {
                case .ok(let ok): .value(try ok.body.json)
                case .badRequest(let error): .refused(400, try error.body.json)
                case .notFound(let error): .refused(404, try error.body.json)
                case .conflict(let error): .refused(409, try error.body.json)
                case .contentTooLarge(let error): .refused(413, try error.body.json)
                case .unsupportedMediaType(let error): .refused(415, try error.body.json)
                case .unauthorized(let error): .refused(401, try error.body.json)
                case .forbidden(let error): .refused(403, try error.body.json)
                case .serviceUnavailable(let error): .refused(503, try error.body.json)
                case .undocumented(let status, let payload): .undocumented(status, payload)
                }
            case .terminate:
                switch try await client.terminateWorkflow(
                    path: .init(id: id), body: reason.map { .json(CancelWorkflowRequest(reason: $0)) })
                {
                case .ok(let ok): .value(try ok.body.json)
                case .badRequest(let error): .refused(400, try error.body.json)
                case .notFound(let error): .refused(404, try error.body.json)
                case .conflict(let error): .refused(409, try error.body.json)
                case .contentTooLarge(let error): .refused(413, try error.body.json)
                case .unsupportedMediaType(let error): .refused(415, try error.body.json)
                case .unauthorized(let error): .refused(401, try error.body.json)
                case .forbidden(let error): .refused(403, try error.body.json)
                case .serviceUnavailable(let error): .refused(503, try error.body.json)
                case .undocumented(let status, let payload): .undocumented(status, payload)
                }
            }
        }
    }

    /// A new workflow from checkpoint `step` of `source` (its newest when nil).
    public func fork(
        _ source: String, step: Int? = nil, id: String? = nil
    ) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch try await client.forkWorkflow(
                path: .init(id: source), body: .json(ForkWorkflowRequest(step: step, id: id)))
            {
            case .created(let created): .value(try created.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// A failed, timed-out or cancelled workflow run again from its newest checkpoint,
    /// as a new workflow (`id`, or a random one).
    public func retry(_ source: String, id: String? = nil) async throws(SchedulerClientError) -> WorkflowView {
        try await call { () async throws -> Outcome<WorkflowView> in
            switch try await client.retryWorkflow(path: .init(id: source), body: .json(RetryWorkflowRequest(id: id))) {
            case .created(let created): .value(try created.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// The agents the live workers serve, with their input schemas.
    public func agents() async throws(SchedulerClientError) -> [AgentView] {
        try await call { () async throws -> Outcome<[AgentView]> in
            switch try await client.listAgents() {
            case .ok(let ok): .value(try ok.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func listKeys() async throws(SchedulerClientError) -> [APIKeyView] {
        try await call { () async throws -> Outcome<[APIKeyView]> in
            switch try await client.listKeys() {
            case .ok(let ok): .value(try ok.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// Applies the scheduler's retention policy to the caller's tenant, or only says
    /// what it would delete (`dryRun`).
    public func prune(dryRun: Bool) async throws(SchedulerClientError) -> PruneReport {
        try await call { () async throws -> Outcome<PruneReport> in
            switch try await client.pruneWorkflows(body: .json(.init(dryRun: dryRun))) {
            case .ok(let ok): .value(try ok.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    public func revokeKey(_ id: String) async throws(SchedulerClientError) -> APIKeyView {
        try await call { () async throws -> Outcome<APIKeyView> in
            switch try await client.revokeKey(path: .init(id: id)) {
            case .ok(let ok): .value(try ok.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// Stores a file of workflow `workflowId` (its own running attempt's credential, or
    /// an administrator's); `contentType` is one of `ArtifactView.contentTypes`.
    public func storeArtifact(
        _ contents: Data, name: String, contentType: String, of workflowId: String
    ) async throws(SchedulerClientError) -> ArtifactView {
        let body = HTTPBody(contents)
        let typed: Operations.PutArtifact.Input.Body
        switch contentType {
        case "text/plain": typed = .plainText(body)
        case "text/markdown": typed = .textMarkdown(body)
        case "text/csv": typed = .csv(body)
        case "application/pdf": typed = .pdf(body)
        case "image/png": typed = .png(body)
        case "application/octet-stream": typed = .binary(body)
        default:
            throw SchedulerClientError(
                message:
                    "an artifact is one of \(ArtifactView.contentTypes.joined(separator: ", ")), not '\(contentType)'",
                status: nil)
        }
        return try await call { () async throws -> Outcome<ArtifactView> in
            switch try await client.putArtifact(path: .init(id: workflowId, name: name), body: typed) {
            case .created(let created): .value(try created.body.json)
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .conflict(let error): .refused(409, try error.body.json)
            case .contentTooLarge(let error): .refused(413, try error.body.json)
            case .unsupportedMediaType(let error): .refused(415, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// The files workflow `id` stored, without their contents.
    public func artifacts(of id: String) async throws(SchedulerClientError) -> [ArtifactView] {
        try await call { () async throws -> Outcome<[ArtifactView]> in
            switch try await client.listArtifacts(path: .init(id: id)) {
            case .ok(let ok): .value(try ok.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
    }

    /// One artifact's contents, at most `maximumBytes` of them.
    public func artifact(
        _ name: String, of id: String, maximumBytes: Int = 1 << 30
    ) async throws(SchedulerClientError) -> Data {
        let body = try await call { () async throws -> Outcome<HTTPBody> in
            switch try await client.getArtifact(path: .init(id: id, name: name)) {
            case .ok(let ok):
                switch ok.body {
                case .binary(let body), .plainText(let body), .textMarkdown(let body), .csv(let body), .pdf(let body),
                    .png(let body):
                    .value(body)
                }
            case .badRequest(let error): .refused(400, try error.body.json)
            case .notFound(let error): .refused(404, try error.body.json)
            case .unauthorized(let error): .refused(401, try error.body.json)
            case .forbidden(let error): .refused(403, try error.body.json)
            case .serviceUnavailable(let error): .refused(503, try error.body.json)
            case .undocumented(let status, let payload): .undocumented(status, payload)
            }
        }
        do {
            return try await Data(collecting: body, upTo: maximumBytes)
        } catch {
            throw SchedulerClientError(message: "reading artifact \(name) of \(id) failed: \(error)", status: nil)
        }
    }

    /// An operation's answer: what was asked for, or the scheduler's documented refusal.
    private enum Outcome<Value> {
        case value(Value)
        case refused(Int, APIError)
        case undocumented(Int, UndocumentedPayload)
    }

    private func call<Value>(
        _ operation: () async throws -> Outcome<Value>
    ) async throws(SchedulerClientError) -> Value {
        let outcome: Outcome<Value>
        do {
            outcome = try await operation()
        } catch let error as ClientError {
            throw SchedulerClientError(
                message: Self.describe(error, baseURL: baseURL), status: nil)
        } catch {
            throw SchedulerClientError(message: "the call to the scheduler at \(baseURL) failed: \(error)", status: nil)
        }
        switch outcome {
        case .value(let value):
            return value
        case .refused(let status, let error):
            throw SchedulerClientError(
                message: "the scheduler answered \(status): \(error.message)", status: status, code: error.code)
        case .undocumented(let status, _):
            throw SchedulerClientError(
                message:
                    "the scheduler answered \(status), which its API does not document (is \(baseURL) a Baton scheduler of this version?)",
                status: status)
        }
    }

    private static func describe(_ error: ClientError, baseURL: String) -> String {
        if let transport = error.underlyingError as? HTTPClientError {
            return "\(transport) (is the scheduler running at \(baseURL)? start it with 'make run-scheduler')"
        }
        return "the scheduler's answer is not what this client reads: \(error.underlyingError)"
    }
}

/// A failed call to the scheduler's API, with the scheduler's own message.
public struct SchedulerClientError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// The HTTP status, when the scheduler answered.
    public var status: Int?
    /// The API's error code (docs/openapi.yaml, `Error.code`), when the scheduler answered one.
    public var code: String?

    public init(message: String, status: Int?, code: String? = nil) {
        self.message = message
        self.status = status
        self.code = code
    }

    public var description: String { message }
}
