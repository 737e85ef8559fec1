import BatonContracts
import BatonHTTPClient
import Foundation
import Testing

@testable import BatonScheduler

@Suite struct SubmitAPITests {
    @Test func theSameClientIdTwiceGivesOneWorkflow() async throws {
        try await Stack.run { stack in
            let request = SubmitWorkflowRequest(id: "order-42", agent: "chain", input: ["steps": 2])
            let first = try await stack.submit(request)
            let second = try await stack.submit(request)
            #expect(first.status == 201)
            #expect(second.status == 200)
            #expect(first.view.id == "order-42")
            #expect(second.view.id == "order-42")
            _ = try await stack.waitUntilFinished("order-42")
            let third = try await stack.submit(request)
            #expect(third.status == 200)
            #expect(third.view.status == .completed)

            let rows = try await stack.query("SELECT count(*) AS n FROM workflows WHERE id = 'order-42'")
            #expect(rows.first?["n"] == "1")
            let dispatches = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = 'order-42' AND type = 'dispatched'")
            #expect(dispatches.first?["n"] == "1")
        }
    }

    /// A live worker's agents reach `GET /v1/agents` with their input schemas over the
    /// broker, and the scheduler holds a submission to the schema the worker declared.
    @Test func theLiveWorkersAgentsAreListedWithTheirSchemasAndInputsChecked() async throws {
        try await Stack.run { stack in
            var agents: [AgentView] = []
            try await Stack.waitUntil("the worker's agents") {
                agents = try JSONDecoder().decode([AgentView].self, from: try await stack.get("/v1/agents").body)
                return agents.contains { $0.name == "chain" }
            }
            let chain = try #require(agents.first { $0.name == "chain" })
            #expect(chain.workers == 1)
            #expect(chain.inputSchema?["properties"]?["steps"]?["maximum"] == 1000)
            let response = try await stack.post("/v1/workflows", json: #"{"agent": "chain", "input": {"steps": 1001}}"#)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("input/steps: must be at most 1000"))
        }
    }

    @Test func reusingAnIdForOtherInputIsAConflict() async throws {
        try await Stack.run { stack in
            _ = try await stack.submit(SubmitWorkflowRequest(id: "dup", agent: "chain", input: ["steps": 1]))
            let response = try await stack.post(
                "/v1/workflows", json: #"{"id": "dup", "agent": "chain", "input": {"steps": 2}}"#)
            #expect(response.status == 409)
            #expect(String(decoding: response.body, as: UTF8.self).contains("already exists with a different"))
        }
    }

    @Test func badBodiesGetA400ThatSaysWhy() async throws {
        try await Stack.run { stack in
            let cases: [(String, String)] = [
                ("not json", "not valid JSON"),
                (#"{"input": {}}"#, "missing field 'agent'"),
                (#"{"agent": 5}"#, "field 'agent' should be String"),
                (#"{"agent": "chain", "id": "has space"}"#, "invalid workflow id"),
            ]
            for (body, message) in cases {
                let response = try await stack.post("/v1/workflows", json: body)
                #expect(response.status == 400, "\(body)")
                #expect(String(decoding: response.body, as: UTF8.self).contains(message), "\(body)")
            }
            let rows = try await stack.query("SELECT count(*) AS n FROM workflows")
            #expect(rows.first?["n"] == "0")
        }
    }

    /// Issue #10 (1, 6, 7, 10, 13): odd but legal-looking bodies get a 400 that says why,
    /// store nothing, and leave the scheduler serving.
    @Test func hostileBodiesAreRefusedAndTheSchedulerGoesOn() async throws {
        try await Stack.run(workers: 0) { stack in
            let deep = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
            let cases: [(String, String)] = [
                (
                    #"{"agent": "chain", "options": {"executionTimeoutSeconds": 1e13}}"#,
                    "executionTimeoutSeconds must be between"
                ),
                (#"{"agent": "chain", "options": {"executionTimeoutSeconds": 1e308}}"#, "executionTimeoutSeconds"),
                (
                    #"{"agent": "chain", "options": {"startToCloseTimeoutSeconds": 1e308}}"#,
                    "startToCloseTimeoutSeconds"
                ),
                (
                    #"{"agent": "chain", "options": {"heartbeatIntervalSeconds": 1e-6}}"#,
                    "heartbeatIntervalSeconds must be between 0.5"
                ),
                (
                    #"{"agent": "chain", "options": {"retry": {"maximumIntervalSeconds": 1e300, "initialIntervalSeconds": 1e299}}}"#,
                    "retry."
                ),
                (#"{"agent": "chain", "options": {"cancelGraceSeconds": 1e20}}"#, "cancelGraceSeconds"),
                (#"{"agent": "chain", "input": \#(deep)}"#, "nest deeper than 64 levels"),
                (#"{"agent": "chain", "input": {"text": "a\u0000b"}}"#, "NUL"),
                (#"{"agent": "cha\u0000in"}"#, "NUL"),
                (#"{"agent": "chain", "caller": "alice\u0000"}"#, "NUL"),
                (#"{"agent": "chain", "caller": "alice\n2026-12-01T00:00:00 critical forged"}"#, "control"),
                (#"{"agent": "chain", "caller": "\u001b]0;pwned\u0007"}"#, "control"),
                (#"{"agent": "chain\nx"}"#, "invalid agent name"),
                (#"{"agent": "chain", "id": "."}"#, "invalid workflow id"),
                (#"{"agent": "chain", "id": ".."}"#, "invalid workflow id"),
                (#"{"agent": "chain", "input": {"amount": 9007199254740993}}"#, "2^53"),
            ]
            for (body, message) in cases {
                let response = try await stack.post("/v1/workflows", json: body)
                let text = String(decoding: response.body, as: UTF8.self)
                #expect(response.status == 400, "\(body.prefix(120)): \(text)")
                #expect(text.contains(message), "\(body.prefix(120)): \(text)")
            }
            let rows = try await stack.query("SELECT count(*) AS n FROM workflows")
            #expect(rows.first?["n"] == "0")
            let alive = try await stack.post("/v1/workflows", json: #"{"agent": "chain", "input": {"steps": 1}}"#)
            #expect(alive.status == 201)
        }
    }

    /// Found by fuzzing: the router's own 404 had an empty body.
    @Test func anUnknownRouteSaysSo() async throws {
        try await Stack.run(workers: 0) { stack in
            let response = try await stack.get("/v2/nothing?x=1")
            #expect(response.status == 404)
            let message = JSONValue(parsing: String(decoding: response.body, as: UTF8.self))?["message"]
            #expect(message?.stringValue?.hasPrefix("no route for GET /v2/nothing") == true)
        }
    }

    /// A known path asked with a method it does not serve: a 405 that names the methods
    /// it does (schemathesis's `unsupported_method` check got a 404).
    @Test func aKnownPathWithAnotherMethodIsA405ThatSaysWhichMethodsItServes() async throws {
        try await Stack.run(workers: 0) { stack in
            let deleted = try await HTTPClient.send(
                HTTPRequest(
                    method: "DELETE", url: stack.baseURL + "/v1/workflows/w-1", headers: TestServices.authorization()))
            #expect(deleted.status == 405)
            #expect(deleted.headers["allow"] == "GET")
            let error = JSONValue(parsing: String(decoding: deleted.body, as: UTF8.self))
            #expect(error?["code"] == "method_not_allowed")
            #expect(error?["message"] == "DELETE is not served at /v1/workflows/w-1; it serves GET")
            let put = try await HTTPClient.send(
                HTTPRequest(method: "PUT", url: stack.baseURL + "/v1/workflows", headers: TestServices.authorization()))
            #expect(put.status == 405)
            #expect(put.headers["allow"] == "GET, POST")
            #expect(try await stack.get("/v1/workflows/w-1/nothing").status == 404)  // no such path: still a 404
        }
    }

    @Test func oversizedBodiesAreRefused() async throws {
        try await Stack.run { stack in
            let big = String(repeating: "x", count: 2_000_000)
            let response = try await stack.post("/v1/workflows", json: #"{"agent": "chain", "input": "\#(big)"}"#)
            #expect(response.status == 413)
            let rows = try await stack.query("SELECT count(*) AS n FROM workflows")
            #expect(rows.first?["n"] == "0")
        }
    }

    @Test func listingShowsTheNewestFirstAndFiltersByStatus() async throws {
        try await Stack.run(workers: 0) { stack in
            for id in ["first", "second", "third"] {
                _ = try await stack.submit(SubmitWorkflowRequest(id: id, agent: "chain"))
            }
            _ = try await stack.post("/v1/workflows/second/cancel", json: "")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let all = try decoder.decode([WorkflowView].self, from: try await stack.get("/v1/workflows?limit=10").body)
            #expect(all.map(\.id) == ["third", "second", "first"])
            let cancelled = try decoder.decode(
                [WorkflowView].self, from: try await stack.get("/v1/workflows?status=cancelled").body)
            #expect(cancelled.map(\.id) == ["second"])
            let bad = try await stack.get("/v1/workflows?status=sleeping")
            #expect(bad.status == 400)
            #expect(String(decoding: bad.body, as: UTF8.self).contains("unknown status 'sleeping'"))
        }
    }

    @Test func anUnknownWorkflowIs404() async throws {
        try await Stack.run { stack in
            let response = try await stack.get("/v1/workflows/nope")
            #expect(response.status == 404)
            #expect(String(decoding: response.body, as: UTF8.self).contains("no workflow with id 'nope'"))
        }
    }
}

@Suite struct WebPageTests {
    @Test func thePageIsServedAndReadsTheAPI() async throws {
        try await Stack.run(workers: 0) { stack in
            let response = try await stack.get("/")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/html; charset=utf-8")
            let page = String(decoding: response.body, as: UTF8.self)
            #expect(page.contains("<title>Baton</title>"))
            #expect(page.contains("/v1/workflows"))
            // Data goes in as text, never as markup.
            #expect(!page.contains("innerHTML"))
        }
    }
}

@Suite struct WorkflowGaugesTests {
    @Test func openWorkflowsAreCountedByStatus() async throws {
        try await Stack.run(workers: 0) { stack in
            for index in 0..<3 {
                _ = try await stack.submit(SubmitWorkflowRequest(id: "gauge-\(index)", agent: "chain"))
            }
            _ = try await stack.post("/v1/workflows/gauge-0/cancel", json: "{}")
            let connection = try await TestServices.connectOrExplain(stack.databaseURL)
            let counts = try await connection.openWorkflowCounts()
            await connection.close()
            #expect(counts == [.dispatched: 2])
        }
    }
}
