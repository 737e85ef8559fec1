import BatonContracts
import BatonPostgres
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BatonScheduler

/// The API's routes in-process (HummingbirdTesting's router framework), over the real
/// engine and repository on the test PostgreSQL: what each route answers, and that
/// every refusal says why in the one error shape.
@Suite struct WorkflowRoutesTests {
    struct Routes {
        let engine: WorkflowEngine
        let repository: PostgresWorkflowRepository
        let app: Application<RouterResponder<BasicRequestContext>>

        init() async throws {
            let pool = try await TestDatabase.fresh()
            repository = PostgresWorkflowRepository(pool: pool)
            engine = WorkflowEngine(
                repository: repository,
                settings: WorkflowEngine.Settings(
                    commandQueue: "agents", defaults: WorkflowOptions(), checkpointRetention: 3),
                relayWake: nil)
            let router = SchedulerRouter.make(
                engine: engine, pool: pool, database: DependencyHealth(name: "PostgreSQL"),
                broker: DependencyHealth(name: "RabbitMQ"), metrics: nil, maxRequestBytes: 64 * 1024)
            app = Application(router: router)
        }

        /// A worker's event for the workflow's current attempt, with its lease token.
        func report(_ id: String, _ kind: WorkerEvent.Kind) async throws {
            let machine = try #require(try await repository.transaction { tx in try tx.lockWorkflow(id)?.machine })
            _ = try await engine.apply([
                .worker(
                    WorkerEvent(
                        workflowId: id, attempt: machine.attempt, workerId: "w1", leaseToken: machine.leaseToken,
                        kind: kind))
            ])
        }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    /// The refusal's message, or the whole body when it has none.
    static func errorMessage(_ response: TestResponse) -> String {
        let text = String(buffer: response.body)
        guard let body = try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody) else { return text }
        return body["error"]?.stringValue ?? body["message"]?.stringValue ?? text
    }

    static func body(_ response: TestResponse) -> JSONValue {
        (try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody)) ?? .null
    }

    @Test func submitFindsTheSameWorkflowAgainAndRefusesAnotherUnderItsId() async throws {
        let routes = try await Routes()
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
            try await client.execute(uri: "/v1/workflows/w-1", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/workflows/nobody", method: .get) {
                #expect($0.status == .notFound)
                #expect(Self.errorMessage($0).contains("nobody"))
            }
            try await client.execute(uri: "/v1/workflows?status=sleeping", method: .get) {
                #expect($0.status == .badRequest)
                #expect(Self.errorMessage($0).contains("awaiting_input"))
            }
            try await client.execute(uri: "/v1/workflows/w-1/history", method: .get) {
                let entries = Self.body($0).arrayValue ?? []
                #expect(entries.compactMap { $0["type"]?.stringValue } == ["submitted", "dispatched"])
            }
        }
    }

    @Test func answersAreCheckedAgainstTheirQuestion() async throws {
        let routes = try await Routes()
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
        let routes = try await Routes()
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
            try await client.execute(uri: "/v1/workflows/p/cancel", method: .post) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/workflows/p/cancel", method: .post) {
                #expect($0.status == .conflict)
                #expect(Self.errorMessage($0).contains("already ended (cancelled)"))
            }
            try await client.execute(uri: "/v1/workflows/\(child)", method: .get) {
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
}
