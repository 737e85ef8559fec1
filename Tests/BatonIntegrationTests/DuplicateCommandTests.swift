import BatonAMQP
import BatonContracts
import Foundation
import Testing

/// Found by the chaos suite: a command sent twice (the outbox re-sends a batch whose
/// confirm was lost) ran the whole graph twice, and a zombie's late event moved the
/// end time of a finished workflow.
@Suite struct DuplicateCommandTests {
    @Test func aDuplicateCommandIsStoppedAndTheEndTimeStays() async throws {
        try await Stack.run(workers: 2, concurrency: 2) { stack in
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 8, "sleep_ms": 300])
            ).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL, "SELECT coalesce(max(checkpoint_step), 0) AS n FROM workflows WHERE id = '\(id)'",
                atLeast: 1)
            // The same command again, as the outbox would re-send it.
            let token = try await stack.query("SELECT machine->>'leaseToken' AS t FROM workflows WHERE id = \(id)")
                .first?["t"]
            let copy = RunActivity(
                workflowId: id, attempt: 1, agent: "chain", input: ["steps": 8, "sleep_ms": 300], checkpoint: nil,
                heartbeatIntervalSeconds: 1, leaseToken: token)
            let broker = try await TestServices.broker()
            try await broker.enableConfirms()
            try await broker.publish([
                AMQPMessage(routingKey: stack.queue, body: WorkerCommand.runActivity(copy).encoded())
            ])
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .completed)
            #expect(view.attempt == 1)
            // The copy ran a step or two before it was told to stop, not the eight.
            let stale = try await stack.query(
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = \(id) AND type = 'checkpointed' AND outcome <> 'applied'"
            )
            #expect(Int(stale.first?["n"] ?? "99") ?? 99 <= 3, "the copy went on: \(stale.first?["n"] ?? "?")")

            let ended = try await stack.query(
                "SELECT finished_at::text AS f, updated_at::text AS u FROM workflows WHERE id = \(id)")
            let late = WorkerEvent(
                workflowId: id, attempt: 1, workerId: "zombie", leaseToken: token,
                kind: .checkpointed(Checkpoint(step: 99, nextNodes: [], state: [:])))
            try await broker.publish([AMQPMessage(routingKey: stack.eventsQueue, body: late.encoded())])
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workflow_events WHERE workflow_id = '\(id)' AND outcome = 'ignored: already_terminal'",
                atLeast: 1)
            let after = try await stack.query(
                "SELECT finished_at::text AS f, updated_at::text AS u FROM workflows WHERE id = \(id)")
            #expect(after.first?["f"] == ended.first?["f"])
            #expect(after.first?["u"] == ended.first?["u"])
            await broker.close()
        }
    }
}
