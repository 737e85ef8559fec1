import BatonContracts
import BatonPostgres
import Foundation

/// The workers that reported lately (`WorkerStatus`) and the agents they serve: a
/// submission for an agent none of them serves is refused at once.
enum WorkerRegistry {
    /// A worker silent this long counts as gone.
    static let liveness: Double = 3 * WorkerStatus.interval

    static func record(_ statuses: [WorkerStatus], now: Date, on db: PostgresTransaction) throws {
        for status in statuses {
            try db.query(
                """
                INSERT INTO workers (id, agents, descriptors, concurrency, stopping, seen_at)
                VALUES (\(status.workerId), \(json: status.agents), \(json: status.descriptors), \(status.concurrency),
                    \(status.stopping), \(now))
                ON CONFLICT (id) DO UPDATE SET agents = excluded.agents, descriptors = excluded.descriptors,
                    concurrency = excluded.concurrency, stopping = excluded.stopping, seen_at = excluded.seen_at
                """)
        }
        // Workers gone for a day are forgotten.
        try db.query("DELETE FROM workers WHERE seen_at < \(now.addingTimeInterval(-86_400))")
    }

    /// The agents served by live workers; nil when no live worker has reported.
    static func liveAgents(now: Date, on db: PostgresTransaction) throws -> Set<String>? {
        try liveAgents(in: db.query(liveAgentsQuery(now: now)))
    }

    static func liveAgentsQuery(now: Date) -> PostgresQuery {
        "SELECT agents FROM workers WHERE NOT stopping AND seen_at > \(now.addingTimeInterval(-liveness))"
    }

    /// What is uneven about the agents the live workers serve, or nil when every live
    /// worker serves the same ones. One queue carries every agent's commands and whichever
    /// worker takes one runs it: a worker that does not serve its agent fails the workflow
    /// (`unknown_agent`), so the workers of one queue must serve the same agents.
    static func unevenAgents(now: Date, on db: PostgresTransaction) throws -> String? {
        let rows = try db.query(
            "SELECT agents FROM workers WHERE NOT stopping AND seen_at > \(now.addingTimeInterval(-liveness))")
        let served = try rows.all.map { Set(try JSONColumn.value([String].self, from: $0["agents"]) ?? []) }
        let all = served.reduce(into: Set<String>()) { $0.formUnion($1) }
        let partial = all.sorted().compactMap { agent -> String? in
            let count = served.filter { $0.contains(agent) }.count
            return count < served.count ? "\(agent) (\(count) of \(served.count))" : nil
        }
        return partial.isEmpty ? nil : partial.joined(separator: ", ")
    }

    /// The agents live workers serve, by name, as the most recently seen worker
    /// describes each (during a rolling upgrade, the newest version wins).
    static func catalog(now: Date, on db: PostgresTransaction) throws -> [String: AgentView] {
        let rows = try db.query(
            """
            SELECT agents, descriptors FROM workers
            WHERE NOT stopping AND seen_at > \(now.addingTimeInterval(-liveness)) ORDER BY seen_at DESC
            """)
        var catalog: [String: AgentView] = [:]
        for row in rows.all {
            let agents = try JSONColumn.value([String].self, from: row["agents"]) ?? []
            let descriptors = try JSONColumn.value([AgentDescriptor].self, from: row["descriptors"]) ?? []
            for name in agents {
                if catalog[name] != nil {
                    catalog[name]?.workers += 1
                    continue
                }
                let descriptor = descriptors.first { $0.name == name }
                catalog[name] = AgentView(
                    name: name, summary: descriptor?.summary ?? "", inputSchema: descriptor?.inputSchema, workers: 1)
            }
        }
        return catalog
    }

    /// The agents in the rows of `liveAgentsQuery`; nil when no live worker has reported.
    static func liveAgents(in rows: PostgresRows) throws -> Set<String>? {
        guard !rows.isEmpty else { return nil }
        return Set(try rows.all.flatMap { try JSONColumn.value([String].self, from: $0["agents"]) ?? [] })
    }
}
