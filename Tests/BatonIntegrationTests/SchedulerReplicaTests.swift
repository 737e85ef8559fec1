import BatonContracts
import Foundation
import Testing

/// Two scheduler replicas on one database and one broker, no leader.
@Suite struct SchedulerReplicaTests {
    @Test func twoReplicasApplyEachWorkflowOnce() async throws {
        try await Stack.run(schedulers: 2, workers: 2, concurrency: 8) { stack in
            let urls = [stack.baseURL] + stack.replicaURLs
            #expect(urls.count == 2)
            for index in 0..<30 {
                _ = try await stack.submit(
                    SubmitWorkflowRequest(id: "rep-\(index)", agent: "chain"), via: urls[index % urls.count])
            }
            // Submitting through the other replica finds the same workflow.
            #expect(
                try await stack.submit(SubmitWorkflowRequest(id: "rep-0", agent: "chain"), via: urls[1]).status == 200)
            let done = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE status = 'completed'", atLeast: 30)
            #expect(done == 30)
            let perWorkflow = try await stack.query(
                """
                SELECT workflow_id,
                    count(*) FILTER (WHERE type = 'completed' AND outcome = 'applied') AS completed,
                    count(*) FILTER (WHERE type = 'dispatched') AS dispatched,
                    count(*) FILTER (WHERE type = 'checkpointed' AND outcome = 'applied') AS checkpoints
                FROM workflow_events GROUP BY workflow_id
                """)
            #expect(perWorkflow.count == 30)
            for row in perWorkflow.all {
                #expect(row["completed"] == "1", "\(row["workflow_id"] ?? "")")
                #expect(row["dispatched"] == "1", "\(row["workflow_id"] ?? "")")
                #expect(row["checkpoints"] == "5", "\(row["workflow_id"] ?? "")")
            }
            #expect(try await stack.query("SELECT count(*) AS n FROM outbox").first?["n"] == "0")
        }
    }
}
