import BatonContracts
import BatonIdentity
import BatonPostgres
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BatonScheduler

/// The API's routes in-process (HummingbirdTesting's router framework), over the real
/// engine and repository on the test PostgreSQL: what each route answers, and that
/// every refusal says why in the one error shape.
@Suite struct WorkflowRoutesTests {
    static func routes() async throws -> RoutesHarness {
        try await RoutesHarness(apiKeys: [
            ConfiguredAPIKey(name: "admin", tenant: "default", roles: ["admin"], sha256: key.sha256)
        ])
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    /// The key the routes are configured with: an administrator of the initial tenant.
    static let key = APIKeyToken.generate()
    static let auth: HTTPFields = [.authorization: "Bearer \(key.text)"]
    static let jsonHeaders: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(key.text)"]

    /// The refusal's message, or the whole body when it has none.
    static func errorMessage(_ response: TestResponse) -> String {
        let text = String(buffer: response.body)
        guard let body = try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody) else { return text }
        return body["message"]?.stringValue ?? text
    }

    static func body(_ response: TestResponse) -> JSONValue {
        (try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody)) ?? .null
    }

    @Test func submitFindsTheSameWorkflowAgainAndRefusesAnotherUnderItsId() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            let body = Self.json(#"{"id": "w-1", "agent": "chain", "input": {"steps": 2}}"#)
            try await client.execute(uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: body) {
                #expect($0.status == .created)
                let view = Self.body($0)
                #expect(view["status"] == "dispatched")
                #expect(view["warnings"]?.arrayValue?.count == 1)  // no worker has reported its agents
            }
            try await client.execute(uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: body) {
                #expect($0.status == .ok)
            }
            let other = Self.json(#"{"id": "w-1", "agent": "chain", "input": {"steps": 3}}"#)
            try await client.execute(uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: other) {
                #expect($0.status == .conflict)
                #expect(Self.errorMessage($0).contains("already exists"))
            }
            try await client.execute(uri: "/v1/workflows/w-1", method: .get, headers: Self.auth) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/workflows/nobody", method: .get, headers: Self.auth) {
                #expect($0.status == .notFound)
                #expect(Self.errorMessage($0).contains("nobody"))
            }
            try await client.execute(uri: "/v1/workflows?status=sleeping", method: .get, headers: Self.auth) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0).contains("awaiting_input"))
            }
            try await client.execute(uri: "/v1/workflows/w-1/history", method: .get, headers: Self.auth) {
                let entries = Self.body($0).arrayValue ?? []
                #expect(entries.compactMap { $0["type"]?.stringValue } == ["submitted", "dispatched"])
            }
        }
    }

    @Test func answersAreCheckedAgainstTheirQuestion() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "q-1", "agent": "chain"}"#))
            try await routes.report("q-1", .started)
            let question = InterruptRequest(
                title: "Ship?", question: "ship it?", choices: [.init(id: "yes", label: "Yes")], allowsFreeText: false)
            try await routes.report("q-1", .interrupted(question))
            let input = "/v1/workflows/q-1/input"
            try await client.execute(
                uri: input, method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"answer": {"choice": "maybe"}}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0).contains("not one of the choices offered: yes"))
            }
            try await client.execute(
                uri: input, method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"answer": {"choice": "yes"}}"#)
            ) {
                #expect($0.status == .ok)
                let view = Self.body($0)
                #expect(view["status"] == "dispatched")
                #expect(view["interrupt"] == nil)
            }
            try await client.execute(
                uri: input, method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"answer": {"choice": "yes"}}"#)
            ) {
                #expect($0.status == .conflict)  // answered already
            }
        }
    }

    @Test func aWaitForAChildIsNotAPersonsToAnswerAndAnEndedParentTakesNoChild() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "p", "agent": "reviewed_analysis"}"#))
            try await routes.report("p", .started)
            let child = try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "review", "agent": "chain", "parentId": "p"}"#)
            ) { response in
                try #require(JSONValue.parse(Data(buffer: response.body), limits: .requestBody)["id"]?.stringValue)
            }
            try await routes.report(
                "p", .interrupted(InterruptRequest(title: "w", question: "w", childWorkflowId: child)))
            try await client.execute(
                uri: "/v1/workflows/p/input", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"answer": "approve"}"#)
            ) {
                #expect($0.status == .conflict)
                #expect(Self.errorMessage($0).contains("waits for its child workflow '\(child)'"))
            }
            try await client.execute(uri: "/v1/workflows/p/cancel", method: .post, headers: Self.auth) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/workflows/p/cancel", method: .post, headers: Self.auth) {
                #expect($0.status == .conflict)
                #expect(Self.errorMessage($0).contains("already ended (cancelled)"))
            }
            try await client.execute(uri: "/v1/workflows/\(child)", method: .get, headers: Self.auth) {
                let view = Self.body($0)
                #expect(view["status"] == "cancelled")  // taken with its parent
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"agent": "chain", "parentId": "p"}"#)
            ) {
                #expect($0.status == .conflict)
                #expect(Self.errorMessage($0).contains("already ended"))
            }
        }
    }

    /// Issue #13: every error of every route is one shape, `{code, message, details?}`
    /// (docs/openapi.yaml, `Error`), whoever answers it: an operation, the generated
    /// decoding, the body gate or the router.
    @Test func everyErrorHasTheDocumentedShape() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String) {
                #expect(response.status == status)
                let body = Self.body(response)
                #expect(body["code"]?.stringValue == code, "\(String(buffer: response.body))")
                #expect(body["message"]?.stringValue?.isEmpty == false)
                guard case .object(let fields) = body else {
                    Issue.record("not a JSON object: \(String(buffer: response.body))")
                    return
                }
                #expect(Set(fields.keys).isSubset(of: ["code", "message", "details"]))
            }
            try await client.execute(uri: "/v2/nothing", method: .get, headers: Self.auth) {
                expectError($0, .notFound, code: "no_route")
            }
            try await client.execute(uri: "/v1/workflows/nobody", method: .get, headers: Self.auth) {
                expectError($0, .notFound, code: "not_found")
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"input": {}}"#)
            ) {
                expectError($0, .badRequest, code: "invalid_request")
                #expect(Self.errorMessage($0).contains("missing field 'agent'"))
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"agent": 7}"#)
            ) {
                expectError($0, .badRequest, code: "invalid_request")
                #expect(Self.errorMessage($0).contains("'agent'"))
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(String(repeating: "[", count: 10_000))
            ) { expectError($0, .badRequest, code: "invalid_body") }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"agent": "chain", "input": "\#(String(repeating: "x", count: 70_000))"}"#)
            ) { expectError($0, .contentTooLarge, code: "content_too_large") }
            try await client.execute(uri: "/v1/workflows?limit=0", method: .get, headers: Self.auth) {
                expectError($0, .badRequest, code: "invalid_request")
            }
            try await client.execute(uri: "/v1/workflows?limit=many", method: .get, headers: Self.auth) {
                expectError($0, .badRequest, code: "invalid_request")
            }
        }
    }

    /// Issue #13: a web page the operator visits could submit, cancel and answer
    /// workflows with a cross-origin `text/plain` form POST or a `no-cors` fetch, which a
    /// browser sends without asking the server first. Bodies must be JSON, declared so.
    @Test func aBodyThatIsNotDeclaredJSONIsRefusedAndChangesNothing() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                try await client.execute(
                    uri: "/v1/workflows", method: .post,
                    headers: [.contentType: contentType, .authorization: "Bearer \(Self.key.text)"],
                    body: Self.json(#"{"id": "forged", "agent": "chain"}"#)
                ) {
                    #expect($0.status == .unsupportedMediaType)
                    #expect(Self.body($0)["code"] == "unsupported_media_type")
                }
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.auth,
                body: Self.json(#"{"id": "forged", "agent": "chain"}"#)
            ) { #expect($0.status == .unsupportedMediaType) }
            try await client.execute(uri: "/v1/workflows/forged", method: .get, headers: Self.auth) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post,
                headers: [.contentType: "application/json; charset=utf-8", .authorization: "Bearer \(Self.key.text)"],
                body: Self.json(#"{"id": "declared", "agent": "chain"}"#)
            ) { #expect($0.status == .created) }
        }
    }

    /// An unknown agent's refusal lists, for programs, the agents the live workers serve.
    @Test func anUnknownAgentsRefusalCarriesTheServedAgents() async throws {
        let routes = try await Self.routes()
        try await routes.repository.pool.transaction { db in
            try WorkerRegistry.record(
                [WorkerStatus(workerId: "w1", agents: ["chain", "reviewed"], concurrency: 1)], now: Date(), on: db)
        }
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders, body: Self.json(#"{"agent": "nope"}"#)
            ) {
                #expect($0.status == .badRequest)
                let body = Self.body($0)
                #expect(body["code"] == "unknown_agent")
                #expect(body["details"]?["agents"] == ["chain", "reviewed"])
            }
        }
    }

    static let chainDescriptor = AgentDescriptor(
        name: "chain", summary: "steps",
        inputSchema: [
            "type": "object", "additionalProperties": false,
            "properties": ["steps": ["type": "integer", "minimum": 1, "maximum": 1000]],
        ])

    /// The agents live workers describe, with their schema and how many serve each; a
    /// worker too old to describe its agents still lists them.
    @Test func theAgentsRouteShowsWhatLiveWorkersServe() async throws {
        let routes = try await Self.routes()
        try await routes.repository.pool.transaction { db in
            try WorkerRegistry.record(
                [
                    WorkerStatus(
                        workerId: "w1", agents: ["chain"], descriptors: [Self.chainDescriptor], concurrency: 1),
                    WorkerStatus(workerId: "w2", agents: ["chain", "legacy"], concurrency: 1),
                    WorkerStatus(workerId: "w3", agents: ["gone"], concurrency: 1, stopping: true),
                ], now: Date(), on: db)
        }
        try await routes.app.test(.router) { client in
            try await client.execute(uri: "/v1/agents", method: .get, headers: Self.auth) {
                #expect($0.status == .ok)
                let agents = try JSONDecoder().decode([AgentView].self, from: Data(buffer: $0.body))
                #expect(agents.map(\.name) == ["chain", "legacy"])
                #expect(agents.first?.workers == 2)
                #expect(agents.first?.inputSchema == Self.chainDescriptor.inputSchema)
                #expect(agents.last?.inputSchema == nil)
            }
        }
    }

    /// An input that does not fit the agent's schema is refused before a workflow
    /// exists, naming each field; the same submission fitting is accepted.
    @Test func anInputThatDoesNotFitItsSchemaIsA400NamingTheField() async throws {
        let routes = try await Self.routes()
        try await routes.repository.pool.transaction { db in
            try WorkerRegistry.record(
                [WorkerStatus(workerId: "w1", agents: ["chain"], descriptors: [Self.chainDescriptor], concurrency: 1)],
                now: Date(), on: db)
        }
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "typo", "agent": "chain", "input": {"steps": 0, "stepz": 2}}"#)
            ) {
                #expect($0.status == .badRequest)
                let body = Self.body($0)
                #expect(body["code"] == "invalid_input")
                #expect(
                    body["details"]?["violations"]?.arrayValue?.compactMap { $0["path"]?.stringValue } == [
                        "/steps", "/stepz",
                    ])
                #expect(body["message"]?.stringValue?.contains("input/steps: must be at least 1, not 0") == true)
            }
            try await client.execute(uri: "/v1/workflows/typo", method: .get, headers: Self.auth) {
                #expect($0.status == .notFound)
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "typo", "agent": "chain", "input": {"steps": 2}}"#)
            ) { #expect($0.status == .created) }
        }
    }

    /// Found by schemathesis: a body's `1.5e300` was accepted and stored, but jsonb gives
    /// numbers back in plain digits, which read as an integer beyond 2^53 and were
    /// refused: every read of the workflow — the list of the whole tenant — was a 500.
    @Test func aHugeNumberInAnInputIsStoredAndReadBack() async throws {
        let routes = try await Self.routes()
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.jsonHeaders,
                body: Self.json(#"{"id": "huge", "agent": "chain", "input": {"x": 1.5e300, "y": -2e20}}"#)
            ) { #expect($0.status == .created) }
            try await client.execute(uri: "/v1/workflows/huge", method: .get, headers: Self.auth) {
                #expect($0.status == .ok)
                #expect(Self.body($0)["input"]?["x"]?.numberValue == 1.5e300)
                #expect(Self.body($0)["input"]?["y"]?.numberValue == -2e20)
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: Self.auth) {
                #expect($0.status == .ok)
            }
        }
    }
}
