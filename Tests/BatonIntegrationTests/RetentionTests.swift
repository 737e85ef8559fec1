import BatonContracts
import BatonScheduler
import Foundation
import Testing

/// Issue #14: finished workflows, their history and checkpoints were kept for good.
/// The retention policy deletes them past their keeping time, in small batches; an
/// administrator previews or applies it for their tenant (`baton admin prune`).
@Suite struct RetentionTests {
    /// Finished "days ago", without waiting days.
    static func finish(_ ids: [String], daysAgo days: Int, on stack: Stack) async throws {
        for id in ids {
            _ = try await stack.query(
                "UPDATE workflows SET finished_at = now() - make_interval(secs => \(Double(days * 86_400))) WHERE id = \(id)"
            )
        }
    }

    static func rows(of id: String, on stack: Stack) async throws -> Int {
        let counted = try await stack.query(
            """
            SELECT (SELECT count(*) FROM workflows WHERE id = \(id)) + (SELECT count(*) FROM workflow_events WHERE workflow_id = \(id))
              + (SELECT count(*) FROM checkpoints WHERE workflow_id = \(id))
              + (SELECT count(*) FROM artifacts WHERE workflow_id = \(id)) AS n
            """)
        return Int(counted.first?["n"] ?? "") ?? -1
    }

    @Test func finishedWorkflowsPastTheirTimeGoWithTheirHistoryAndTheRestStays() async throws {
        // The background pass waits an hour: only the requests of this test prune.
        let policy = RetentionPolicy(finishedAfterDays: 7, agents: ["operations_analysis": 90], intervalSeconds: 3600)
        try await Stack.run(retention: policy) { stack in
            var finished: [String] = []
            for _ in 0..<3 {
                let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 2])).view.id
                finished.append(id)
            }
            for id in finished { _ = try await stack.waitUntilFinished(id) }
            let recent = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view.id
            _ = try await stack.waitUntilFinished(recent)
            let waiting = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 3, "ask_at": 1])
            ).view.id
            try await Stack.waitUntil("the workflow to wait for a person") {
                try await stack.workflow(waiting).status == .awaitingInput
            }
            let elsewhere = try await stack.submit(
                SubmitWorkflowRequest(agent: "chain", input: ["steps": 1]), as: "mallory"
            ).view.id
            _ = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workflows WHERE id = '\(elsewhere)' AND finished_at IS NOT NULL",
                atLeast: 1)
            try await Self.finish(finished + [elsewhere], daysAgo: 8, on: stack)
            // A stored file goes with its workflow.
            _ = try await stack.query(
                """
                INSERT INTO artifacts (workflow_id, name, content_type, bytes, sha256, body)
                VALUES (\(finished[0]), 'report.md', 'text/markdown', 2, '', 'hi'::bytea)
                """)
            try await Self.finish([recent], daysAgo: 6, on: stack)
            // A finished child of a running parent stays: the parent may read its outcome.
            _ = try await stack.query(
                "UPDATE workflows SET parent_id = \(waiting) WHERE id = \(finished[2])")

            let preview = try await CLITests.baton(["admin", "prune", "--json"], stack)
            #expect(preview.status == 0, "\(preview.errors)")
            let previewed = try JSONDecoder().decode(PruneReport.self, from: Data(preview.output.utf8))
            #expect(previewed.dryRun)
            #expect(previewed.workflows == 2)
            #expect(Set(previewed.sample) == Set(finished.prefix(2)))
            #expect(previewed.events > 0 && previewed.checkpoints > 0)
            #expect(try await Self.rows(of: finished[0], on: stack) > 0)  // a preview deletes nothing

            let pruned = try await stack.client().prune(dryRun: false)
            #expect(
                pruned
                    == PruneReport(
                        dryRun: false, workflows: 2, events: previewed.events, checkpoints: previewed.checkpoints,
                        sample: previewed.sample))
            for id in finished.prefix(2) {
                #expect(try await Self.rows(of: id, on: stack) == 0)
                #expect(try await stack.get("/v1/workflows/\(id)").status == 404)
            }
            for id in [finished[2], recent, waiting, elsewhere] {
                #expect(
                    try await stack.get("/v1/workflows/\(id)", as: id == elsewhere ? "mallory" : "admin").status == 200)
            }
            #expect(try await stack.client().prune(dryRun: false).workflows == 0)  // nothing left that is due
        }
    }

    @Test func theBackgroundPassPrunesWhatIsDue() async throws {
        try await Stack.run(retention: RetentionPolicy(finishedAfterDays: 1, intervalSeconds: 1)) { stack in
            let id = try await stack.submit(SubmitWorkflowRequest(agent: "chain", input: ["steps": 1])).view.id
            _ = try await stack.waitUntilFinished(id)
            #expect(try await Self.rows(of: id, on: stack) > 0)
            try await Self.finish([id], daysAgo: 2, on: stack)
            try await Stack.waitUntil("the retention pass to delete the workflow") {
                try await Self.rows(of: id, on: stack) == 0
            }
        }
    }

    @Test func withoutARetentionPolicyPruningSaysSoAndNoOneButAnAdministratorMayAsk() async throws {
        try await Stack.run(workers: 0) { stack in
            let off = try await stack.post("/v1/admin/prune", json: "{}")
            #expect(off.status == 409)
            #expect(String(decoding: off.body, as: UTF8.self).contains("retention_off"))
            #expect(try await stack.post("/v1/admin/prune", json: "{}", as: "alice").status == 403)
        }
    }

    @Test func aPolicyOutsideItsRangeIsReportedAtStart() {
        var configuration = SchedulerConfiguration()
        configuration.retention = RetentionPolicy(finishedAfterDays: 0, tenants: ["x": .infinity], batchSize: 0)
        do {
            try configuration.validate(source: "scheduler.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.contains { $0.contains("retention.finished_after_days must be more than 0") })
            #expect(error.problems.contains { $0.contains("retention.tenants.x must be more than 0") })
            #expect(error.problems.contains { $0.contains("retention.batch_size must be between 1") })
        }
    }
}
