import BatonContracts
import BatonSchedulerClient
import Foundation
import Testing

/// HTTP → PostgreSQL → RabbitMQ → worker → back, on the real services.
@Suite struct EndToEndTests {
    @Test func aChainWorkflowCompletesWithItsStepsInOrder() async throws {
        try await Stack.run { stack in
            let (status, submitted) = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 5]))
            #expect(status == 201)
            #expect(submitted.status == .dispatched)
            let view = try await stack.waitUntilFinished(submitted.id)
            #expect(view.status == .completed)
            #expect(view.attempt == 1)
            #expect(view.checkpointStep == 5)
            let nodes = view.result?["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue }
            #expect(nodes == ["step_0", "step_1", "step_2", "step_3", "step_4"])

            let history = try await stack.query(
                "SELECT type, outcome FROM workflow_events WHERE workflow_id = \(submitted.id) ORDER BY seq")
            // A heartbeat check that finds the worker alive re-arms itself: on a loaded
            // machine one may come due between two heartbeats, and changes nothing.
            #expect(
                history.all.map { $0["type"] }.filter { $0 != "timer_heartbeat" } == [
                    "submitted", "dispatched", "started", "checkpointed", "checkpointed", "checkpointed",
                    "checkpointed", "checkpointed", "completed",
                ])
            #expect(history.all.allSatisfy { $0["outcome"] == "applied" })
            // The same history through the API, and its paging.
            let client = stack.client()
            let entries = try await client.history(submitted.id)
            #expect(entries.map(\.type) == history.all.map { $0["type"] ?? "" })
            #expect(entries.last?.payload?["output"]?["steps"]?.arrayValue?.count == 5)
            let rest = try await client.history(submitted.id, after: entries[2].sequence, limit: 2)
            #expect(rest.map(\.sequence) == [entries[3].sequence, entries[4].sequence])
            await #expect(throws: SchedulerClientError.self) { _ = try await client.history("no-such-workflow") }
            let steps = try await stack.query(
                """
                SELECT payload ->> 'step' AS step FROM workflow_events
                WHERE workflow_id = \(submitted.id) AND type = 'checkpointed' ORDER BY seq
                """)
            #expect(steps.all.map { $0["step"] } == ["1", "2", "3", "4", "5"])
            // Ended: the newest checkpoint is all it keeps, its state whole.
            let checkpoints = try await stack.query(
                "SELECT step FROM checkpoints WHERE workflow_id = \(submitted.id) ORDER BY step")
            #expect(checkpoints.all.map { $0["step"] } == ["5"])
            let changes = try await stack.query(
                """
                SELECT op, jsonb_array_length(value -> 'steps') AS n FROM checkpoint_changes
                WHERE workflow_id = \(submitted.id)
                """)
            #expect(changes.all.map { "\($0["op"] ?? "") \($0["n"] ?? "")" } == ["replace 5"])
            let outbox = try await stack.query("SELECT count(*) AS n FROM outbox")
            #expect(outbox.first?["n"] == "0")
        }
    }

    @Test func manyWorkflowsAllComplete() async throws {
        try await Stack.run(concurrency: 8) { stack in
            var ids: [String] = []
            for index in 0..<20 {
                ids.append(
                    try await stack.submit(SubmitWorkflowRequest(id: "many-\(index)", agent: "chain")).view.id)
            }
            for id in ids {
                let view = try await stack.waitUntilFinished(id)
                #expect(view.status == .completed, "\(id)")
                #expect(view.result?["steps"]?.arrayValue?.count == 5)
            }
            let results = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE type = 'completed' AND outcome = 'applied'")
            #expect(results.first?["n"] == "20")
        }
    }

    /// Issue #10 (2): an unknown agent used to be accepted (201) and fail later.
    @Test func anAgentNoLiveWorkerServesIsRefusedAtSubmit() async throws {
        try await Stack.run { stack in
            _ = try await Stack.waitForCount(stack.databaseURL, "SELECT count(*) AS n FROM workers", atLeast: 1)
            let response = try await stack.post("/v1/workflows", json: #"{"agent": "no-such-agent"}"#)
            #expect(response.status == 400)
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains("unknown agent 'no-such-agent'; the live workers serve: chain"))
            let rows = try await stack.query("SELECT count(*) AS n FROM workflows")
            #expect(rows.first?["n"] == "0")
        }
    }

    /// With no live worker known, the name cannot be checked: accepted, and the
    /// response says so.
    @Test func withoutLiveWorkersASubmitSaysItsAgentWasNotChecked() async throws {
        try await Stack.run(workers: 0) { stack in
            let view = try await stack.submit(SubmitWorkflowRequest(agent: "no-such-agent")).view
            #expect(view.warnings?.first?.contains("no live worker has reported") == true)
            #expect(try await stack.workflow(view.id).warnings == nil)
        }
    }

    /// An input the agent's schema accepts but the agent refuses (a hook file name with a
    /// slash): the activity fails as invalid input, at once, without another attempt.
    @Test func badAgentInputFailsWithoutRetry() async throws {
        try await Stack.run { stack in
            let submitted = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["exec_log": "not/a/plain/name"])
            ).view
            let view = try await stack.waitUntilFinished(submitted.id)
            #expect(view.status == .failed)
            #expect(view.error?.kind == "invalid_input")
            #expect(view.attempt == 1)
        }
    }
}

@Suite struct HeartbeatTests {
    /// Steps longer than the heartbeat interval (1 s in tests): the scheduler hears from
    /// the activity between checkpoints, with the node it is in (six beats in six seconds,
    /// so that a loaded machine still applies one before the workflow ends).
    @Test func heartbeatsArriveDuringALongStep() async throws {
        try await Stack.run { stack in
            let submitted = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 3, "sleep_ms": 2000])
            ).view
            let view = try await stack.waitUntilFinished(submitted.id)
            #expect(view.status == .completed)
            // Only heartbeats record progress for the chain agent (it reports none itself).
            #expect(view.progress?.node?.hasPrefix("step_") == true)
            let rows = try await stack.query(
                "SELECT last_heartbeat_at IS NOT NULL AS seen FROM workflows WHERE id = \(submitted.id)")
            #expect(rows.first?["seen"] == "t")
        }
    }
}
