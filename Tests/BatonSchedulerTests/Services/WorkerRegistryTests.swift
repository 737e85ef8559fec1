import BatonContracts
import BatonPostgres
import Foundation
import Testing

@testable import BatonScheduler

/// Every agent's commands share one queue, and whichever worker takes a command runs it:
/// a worker that does not serve the agent fails the workflow (`unknown_agent`). A fleet
/// whose workers serve different agents did this silently; now the scheduler names the
/// agents only some workers serve, once per change.
@Suite struct WorkerRegistryTests {
    @Test func agentsServedByOnlySomeLiveWorkersAreNamed() async throws {
        let pool = try await TestDatabase.fresh()
        let now = Date()
        func uneven(_ statuses: [WorkerStatus]) async throws -> String? {
            try await pool.transaction { db in
                try WorkerRegistry.record(statuses, now: now, on: db)
                return try WorkerRegistry.unevenAgents(now: now, on: db)
            }
        }
        #expect(try await uneven([WorkerStatus(workerId: "w1", agents: ["chain", "review"], concurrency: 4)]) == nil)
        #expect(try await uneven([WorkerStatus(workerId: "w2", agents: ["review", "chain"], concurrency: 4)]) == nil)
        let mixed = try await uneven([WorkerStatus(workerId: "w3", agents: ["chain"], concurrency: 4)])
        #expect(mixed == "review (2 of 3)")
        // A stopping worker no longer counts.
        let fixed = try await uneven([WorkerStatus(workerId: "w3", agents: ["chain"], concurrency: 4, stopping: true)])
        #expect(fixed == nil)
        await pool.close()
    }

    @Test func aWarningIsSaidOncePerChange() {
        let last = LastWarning()
        #expect(last.changed(to: "review (2 of 3)"))
        #expect(!last.changed(to: "review (2 of 3)"))
        #expect(last.changed(to: nil))
        #expect(!last.changed(to: nil))
        #expect(last.changed(to: "review (1 of 3)"))
    }
}
