import BatonContracts
import BatonPostgres
import Foundation

/// The agents the live workers serve (`WorkerRegistry.catalog`), read at most every
/// `maximumAge` seconds: every submission checks its input against its agent's schema,
/// and a read per submission would double a burst's queries for an answer that
/// changes when a worker starts or stops.
actor AgentCatalog {
    private let pool: PostgresPool
    private let maximumAge: Double
    private var cached: (agents: [String: AgentView], readAt: ContinuousClock.Instant)?

    init(pool: PostgresPool, maximumAge: Double = 2) {
        self.pool = pool
        self.maximumAge = maximumAge
    }

    var agents: [String: AgentView] {
        get async throws {
            let now = ContinuousClock.now
            if let cached, now - cached.readAt < .seconds(maximumAge) { return cached.agents }
            let agents = try await pool.autocommit { db in try WorkerRegistry.catalog(now: Date(), on: db) }
            cached = (agents, now)
            return agents
        }
    }

    /// What is wrong with `input` for `agent`; empty when it fits, or when no live
    /// worker describes the agent (the engine then tells whether it is known at all).
    func violations(of input: JSONValue, for agent: String) async throws -> [JSONSchema.Violation] {
        guard let schema = try await agents[agent]?.inputSchema else { return [] }
        return JSONSchema(schema).violations(of: input)
    }
}
