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
        try await Stack.run(concurrency: 2, fairness: FairnessConfiguration(enabled: true)) { stack in
            let bulk = stack.client(as: "mallory")  // tenant "elsewhere"
            // At once, as a burst comes: eight submissions at a time.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for lane in 0..<8 {
                    group.addTask {
                        for index in stride(from: lane, to: 40, by: 8) {
                            _ = try await bulk.submit(
                                SubmitWorkflowRequest(
                                    id: "bulk-\(index)", agent: "chain", input: ["steps": 1, "sleep_ms": 300]))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await Stack.waitUntil("the burst starts") { try await Self.startOrder(stack).count >= 2 }
            let alice = stack.client(as: "alice")
            _ = try await alice.submit(SubmitWorkflowRequest(id: "small", agent: "chain", input: ["steps": 1]))
            _ = try await stack.waitUntilFinished("small")
            let done = try await Stack.waitForCount(
                stack.databaseURL,
                "SELECT count(*) AS n FROM workflows WHERE tenant = 'elsewhere' AND status = 'completed'",
                atLeast: 40)
            #expect(done == 40)
            // Of the burst, how many were still to start when the small one came, and how
            // many of those started before it: with the broker's first-come order, all.
            let counts = try await stack.query(
                """
                SELECT count(*) FILTER (WHERE e.recorded_at > s.created_at) AS waiting,
                    count(*) FILTER (WHERE e.recorded_at > s.created_at AND e.seq < s.started) AS overtook
                FROM workflow_events e JOIN workflows w ON w.id = e.workflow_id,
                    (SELECT w.created_at, min(e.seq) AS started FROM workflows w JOIN workflow_events e
                        ON e.workflow_id = w.id AND e.type = 'started' WHERE w.id = 'small' GROUP BY w.created_at) s
                WHERE e.type = 'started' AND w.tenant = 'elsewhere'
                """)
            let waiting = Int(counts.first?["waiting"] ?? "0") ?? 0
            let overtook = Int(counts.first?["overtook"] ?? "0") ?? 0
            #expect(waiting >= 20, "the burst had drained before the small tenant came (\(waiting) left)")
            // Two slots, and as many again waiting in the broker.
            #expect(
                overtook <= 4, "\(overtook) of the burst's \(waiting) waiting started before the small tenant's one")
        }
    }

    /// A tenant at its `max_running` waits, while the others' work goes on.
    @Test func aTenantNeverRunsMoreThanItsLimit() async throws {
        let fairness = FairnessConfiguration(enabled: true, tenants: ["elsewhere": .init(maxRunning: 1)])
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
