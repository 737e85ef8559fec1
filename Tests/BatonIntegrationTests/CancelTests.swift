import BatonContracts
import Foundation
import Testing

@Suite struct CancelTests {
    @Test func cancelReachesARunningActivity() async throws {
        try await Stack.run { stack in
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 5, "sleep_ms": 60_000])
            ).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'running' AND id = '\(id)'",
                atLeast: 1)
            let response = try await stack.post("/v1/workflows/\(id)/cancel", json: #"{"reason": "changed my mind"}"#)
            #expect(response.status == 200)
            let view = try await stack.waitUntilFinished(id, deadline: .seconds(20))
            #expect(view.status == .cancelled)
            #expect(view.error?.message == "changed my mind")
            // It ended because the worker stopped, not because the grace period ran out.
            let history = try await stack.query(
                "SELECT type, outcome FROM workflow_events WHERE workflow_id = \(id) ORDER BY seq")
            #expect(history.all.last?["type"] == "failed")
            let again = try await stack.post("/v1/workflows/\(id)/cancel", json: "")
            #expect(again.status == 409)
        }
    }

    @Test func answeringAWorkflowThatAsksNothingIsAConflict() async throws {
        try await Stack.run(workers: 0) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain")).view.id
            let response = try await stack.post("/v1/workflows/\(id)/input", json: #"{"answer": "yes"}"#)
            #expect(response.status == 409)
            #expect(String(decoding: response.body, as: UTF8.self).contains("is not waiting for input"))
            let missing = try await stack.post("/v1/workflows/nope/cancel", json: "")
            #expect(missing.status == 404)
        }
    }

    @Test func invalidOptionsAreRefused() async throws {
        try await Stack.run(workers: 0) { stack in
            let response = try await stack.post(
                "/v1/workflows",
                json: #"{"agent": "chain", "options": {"heartbeatTimeoutSeconds": 1, "heartbeatIntervalSeconds": 5}}"#)
            #expect(response.status == 400)
            #expect(String(decoding: response.body, as: UTF8.self).contains("heartbeatTimeoutSeconds must be larger"))
        }
    }
}
