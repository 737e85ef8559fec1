import BatonContracts
import BatonScheduler
import Foundation
import Testing

/// Issue #14: nothing bounded what a workflow carried. An event over the message limit
/// was set aside as a dead letter and its workflow waited forever, heartbeats and all;
/// now each kind of event has a limit, and going over it fails the attempt with the
/// limit's own error kind, not retried.
@Suite struct WorkflowLimitsTests {
    @Test func aCheckpointOverItsLimitFailsTheWorkflowWithoutARetry() async throws {
        try await Stack.run(limits: WorkflowLimits(maxCheckpointBytes: 2048)) { stack in
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 3, "payload_bytes": 4000])
            ).view.id
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .failed)
            #expect(view.attempt == 1)
            #expect(view.error?.kind == "checkpoint_too_large")
            #expect(view.error?.message.contains("limits.max_checkpoint_bytes") == true)
            #expect(view.error?.retryable == false)
        }
    }

    @Test func aResultOverItsLimitFailsTheWorkflow() async throws {
        try await Stack.run(limits: WorkflowLimits(maxResultBytes: 2048)) { stack in
            let id = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 4, "payload_bytes": 1000])
            ).view.id
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .failed)
            #expect(view.error?.kind == "result_too_large")
        }
    }

    /// An agent with more steps than the history may hold ends at the cap, with its own
    /// error kind and the history at the cap's length, not beyond.
    @Test func aHistoryThatReachesItsCapFailsTheWorkflow() async throws {
        try await Stack.run(limits: WorkflowLimits(maxHistoryEntries: 12)) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 40])).view.id
            let view = try await stack.waitUntilFinished(id)
            #expect(view.status == .failed)
            #expect(view.error?.kind == "history_too_long")
            #expect(view.error?.retryable == false)
            #expect(view.error?.message.contains("limits.max_history_entries") == true)
            // Its 40 checkpoints stop at the cap (with submitted and started, 12 entries); the
            // worker's events still in flight when it was told to stop come after, ignored.
            let checkpoints = try await stack.query(
                """
                SELECT count(*) AS n FROM workflow_events
                WHERE workflow_id = \(id) AND type = 'checkpointed' AND outcome = 'applied'
                """)
            #expect((Int(checkpoints.first?["n"] ?? "") ?? 99) <= 10, "\(checkpoints.first?["n"] ?? "")")
        }
    }

    @Test func anInputOverItsLimitIsRefusedAtSubmission() async throws {
        try await Stack.run(workers: 0, limits: WorkflowLimits(maxInputBytes: 4096)) { stack in
            let body = #"{"agent":"chain","input":{"steps":1,"note":"\#(String(repeating: "x", count: 5000))"}}"#
            let response = try await stack.post("/v1/workflows", json: body)
            #expect(response.status == 413)
            let text = String(decoding: response.body, as: UTF8.self)
            #expect(text.contains("input_too_large"))
            #expect(text.contains("limits.max_input_bytes"))
        }
    }

    @Test func limitsOutsideTheirRangeAreReportedAtStart() {
        var configuration = SchedulerConfiguration()
        configuration.limits = WorkflowLimits(
            maxInputBytes: 2 * 1024 * 1024, maxCheckpointBytes: 10, maxHistoryEntries: 5)
        do {
            try configuration.validate(source: "scheduler.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("limits.max_checkpoint_bytes must be between 1024") })
            #expect(error.problems.contains { $0.contains("limits.max_input_bytes (2097152) must not exceed") })
            #expect(error.problems.contains { $0.contains("limits.max_history_entries must be between 10") })
        }
    }
}
