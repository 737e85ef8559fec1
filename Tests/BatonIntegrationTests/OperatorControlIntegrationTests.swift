import BatonContracts
import BatonSchedulerClient
import Foundation
import Testing

/// Issue #13: pause, resume, terminate, retry and fork, through the API, with a real
/// worker, PostgreSQL and RabbitMQ. Each is recorded in the history with who did it.
@Suite struct OperatorControlIntegrationTests {
    static func nodes(_ view: WorkflowView) -> [String] {
        view.result?["steps"]?.arrayValue?.compactMap { $0["node"]?.stringValue } ?? []
    }

    static func waitFor(
        _ stack: Stack, _ id: String, _ what: String, _ condition: @escaping (WorkflowView) -> Bool
    ) async throws -> WorkflowView {
        var view = try await stack.workflow(id)
        try await Stack.waitUntil(what) {
            view = try await stack.workflow(id)
            return condition(view)
        }
        return view
    }

    /// Paused mid-run, the attempt stops at a checkpoint and nothing runs until the
    /// resume; the resumed run goes on from there, and every step ran exactly once.
    @Test func aPausedWorkflowStopsAtACheckpointAndResumesFromIt() async throws {
        try await Stack.run { stack in
            let alice = stack.client(as: "alice")
            _ = try await alice.submit(
                SubmitWorkflowRequest(id: "pausable", agent: "chain", input: ["steps": 8, "sleep_ms": 250]))
            _ = try await Self.waitFor(stack, "pausable", "a checkpoint") { ($0.checkpointStep ?? 0) >= 1 }
            let pausing = try await alice.control(.pause, "pausable")
            #expect(pausing.status == .paused || pausing.pausing == true)
            let paused = try await Self.waitFor(stack, "pausable", "the pause") { $0.status == .paused }
            let step = paused.checkpointStep
            try await Task.sleep(for: .seconds(1))
            let still = try await stack.workflow("pausable")
            #expect(still.status == .paused)
            #expect(still.checkpointStep == step, "it ran on while paused")

            _ = try await alice.control(.resume, "pausable")
            let done = try await stack.waitUntilFinished("pausable")
            #expect(done.status == .completed)
            #expect(Self.nodes(done) == (0..<8).map { "step_\($0)" })
            let history = try await alice.history("pausable", after: 0, limit: 1000)
            let pause = history.first { $0.type == "pause_requested" }
            #expect(pause?.payload?["by"] == "alice")
            #expect(history.contains { $0.type == "handed_back" })
            #expect(history.first { $0.type == "resume_requested" }?.payload?["by"] == "alice")
        }
    }

    /// Terminated, a workflow ends at once, without waiting for its worker.
    @Test func aTerminatedWorkflowEndsAtOnce() async throws {
        try await Stack.run { stack in
            let alice = stack.client(as: "alice")
            _ = try await alice.submit(
                SubmitWorkflowRequest(id: "runaway", agent: "chain", input: ["steps": 3, "sleep_ms": 60_000]))
            _ = try await Self.waitFor(stack, "runaway", "the start") { $0.status == .running }
            let ended = try await alice.control(.terminate, "runaway", reason: "runaway agent")
            #expect(ended.status == .cancelled)
            #expect(ended.error?.kind == "terminated")
            #expect(ended.error?.message == "runaway agent")
            do {
                _ = try await alice.control(.resume, "runaway")
                Issue.record("an ended workflow resumed")
            } catch let error as SchedulerClientError {
                #expect(error.status == 409)
                #expect(error.code == "already_ended")
            }
            let history = try await alice.history("runaway", after: 0, limit: 1000)
            #expect(history.first { $0.type == "terminate_requested" }?.payload?["by"] == "alice")
        }
    }

    /// A cancelled workflow retried goes on from its last checkpoint in a new workflow
    /// (the old one stays cancelled); a fork starts from a kept checkpoint, and one that
    /// is not kept is refused with the steps that are.
    @Test func retryAndForkStartNewWorkflowsFromACheckpoint() async throws {
        try await Stack.run { stack in
            let alice = stack.client(as: "alice")
            _ = try await alice.submit(
                SubmitWorkflowRequest(id: "interrupted", agent: "chain", input: ["steps": 6, "sleep_ms": 250]))
            _ = try await Self.waitFor(stack, "interrupted", "two checkpoints") { ($0.checkpointStep ?? 0) >= 2 }
            _ = try await alice.cancel("interrupted", reason: "oops")
            let cancelled = try await stack.waitUntilFinished("interrupted")
            #expect(cancelled.status == .cancelled)
            let step = try #require(cancelled.checkpointStep)

            let retried = try await alice.retry("interrupted", id: "interrupted-again")
            #expect(retried.id == "interrupted-again")
            #expect(retried.caller == "alice")
            let done = try await stack.waitUntilFinished("interrupted-again")
            #expect(done.status == .completed)
            #expect(Self.nodes(done) == (0..<6).map { "step_\($0)" })
            let oldHistory = try await alice.history("interrupted", after: 0, limit: 1000)
            #expect(oldHistory.last?.type == "retried")
            #expect(oldHistory.last?.payload?["workflow"] == "interrupted-again")
            let newHistory = try await alice.history("interrupted-again", after: 0, limit: 1000)
            #expect(newHistory.first?.type == "retried_from")
            #expect(newHistory.first?.payload?["step"] == .number(Double(step)))
            #expect(
                newHistory.contains {
                    $0.type == "dispatched" && $0.payload?["resume_from_step"] == .number(Double(step))
                })

            do {
                _ = try await alice.retry("interrupted-again")
                Issue.record("a completed workflow was retried")
            } catch let error as SchedulerClientError {
                #expect(error.code == "not_retryable")
            }
            do {
                _ = try await alice.fork("interrupted-again", step: 1)
                Issue.record("a fork from a checkpoint that is not kept")
            } catch let error as SchedulerClientError {
                #expect(error.status == 404)
                #expect(error.code == "no_checkpoint")
            }
            // Another tenant's workflow is no source.
            do {
                _ = try await stack.client(as: "mallory").fork("interrupted-again")
                Issue.record("another tenant forked it")
            } catch let error as SchedulerClientError {
                #expect(error.status == 404)
            }
            let fork = try await alice.fork("interrupted-again")
            #expect(try await stack.waitUntilFinished(fork.id).status == .completed)
        }
    }
}
