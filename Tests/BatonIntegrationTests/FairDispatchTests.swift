import BatonContracts
import Foundation
import Testing

@testable import BatonScheduler

/// Issue #13: a tenant that submits a burst must not hold back another. Before the
/// dispatch gate, every run command went to the `agents` queue at once, and the
/// broker handed them out in order: the second tenant's work started only after the
/// whole burst.
@Suite struct FairDispatchTests {
    /// When each workflow's first attempt started, from its history.
    static func startOrder(_ stack: Stack) async throws -> [String] {
        try await stack.query(
            """
            SELECT workflow_id FROM workflow_events WHERE type = 'started' AND outcome = 'applied' ORDER BY seq
            """
        ).all.compactMap { $0["workflow_id"] }
    }

    @Test func aSmallTenantsWorkStartsBeforeABurstOfAnothersHasDrained() async throws {
        try await Stack.run(concurrency: 2) { stack in
            let bulk = stack.client(as: "mallory")  // tenant "elsewhere"
            for index in 0..<30 {
                _ = try await bulk.submit(
                    SubmitWorkflowRequest(id: "bulk-\(index)", agent: "chain", input: ["steps": 1, "sleep_ms": 150]))
            }
            try await Stack.waitUntil("the burst starts") { try await Self.startOrder(stack).count >= 2 }
            let alice = stack.client(as: "alice")
            for index in 0..<2 {
                _ = try await alice.submit(SubmitWorkflowRequest(id: "small-\(index)", agent: "chain", input: ["steps": 1]))
            }
            for index in 0..<2 { _ = try await stack.waitUntilFinished("small-\(index)") }
            let order = try await Self.startOrder(stack)
            let bulkStartedBefore = order.prefix { !$0.hasPrefix("small-") }.count
            #expect(bulkStartedBefore < 20, "the small tenant waited for \(bulkStartedBefore) of the burst's 30")
            let done = try await Stack.waitForCount(
                stack.databaseURL, "SELECT count(*) AS n FROM workflows WHERE tenant = 'elsewhere' AND status = 'completed'",
                atLeast: 30)
            #expect(done == 30)
        }
    }

    /// A tenant at its `max_running` waits, while the others' work goes on.
    @Test func aTenantNeverRunsMoreThanItsLimit() async throws {
        let fairness = FairnessConfiguration(tenants: ["elsewhere": .init(maxRunning: 1)])
        try await Stack.run(concurrency: 4, fairness: fairness) { stack in
            let bulk = stack.client(as: "mallory")
            for index in 0..<6 {
                _ = try await bulk.submit(
                    SubmitWorkflowRequest(id: "capped-\(index)", agent: "chain", input: ["steps": 1, "sleep_ms": 200]))
            }
            var most = 0
            try await Stack.waitUntil("the capped tenant's work to finish") {
                let rows = try await stack.query(
                    """
                    SELECT count(*) FILTER (WHERE status IN ('running', 'cancelling')) AS running,
                        count(*) FILTER (WHERE finished_at IS NOT NULL) AS done
                    FROM workflows WHERE tenant = 'elsewhere'
                    """)
                most = max(most, Int(rows.first?["running"] ?? "0") ?? 0)
                return rows.first?["done"] == "6"
            }
            #expect(most <= 1, "tenant 'elsewhere' ran \(most) at once, its max_running is 1")
        }
    }
}
