import BatonPostgres
import Foundation

/// The database side of sharing event queues among scheduler replicas.
///
/// A lease row says which replica consumes an events queue until when; times are the
/// database's (`now()`), so replicas' clocks never matter. Each replica renews its
/// leases and its own liveness row every second in one transaction, which also claims
/// free or expired queues up to its fair share. It runs on a connection of its own so
/// that busy event batches never delay a renewal.
struct PartitionLeases: Sendable {
    let pool: PostgresPool
    let eventsQueue: String
    let replica: String
    let partitions: Int
    /// A lease not renewed for this long is free for another replica to take.
    static let time: Duration = .seconds(8)
    private var seconds: Int { Int(Self.time.components.seconds) }

    struct Tick: Sendable, Equatable {
        /// The queues this replica holds now (renewed or just claimed).
        var held: [String]
        /// Its fair share.
        var share: Int
        var retiring: Set<String>
        var queues: [String]
    }

    /// A start with another partition count than the replicas that are live.
    struct CountConflict: Error, CustomStringConvertible {
        let configured: Int
        let live: [Int]
        let eventsQueue: String
        var description: String {
            "event_partitions is \(configured), but live scheduler replicas of '\(eventsQueue)' use "
                + "\(live.map(String.init).joined(separator: ", ")); all replicas must use one count. To change it, "
                + "stop every replica, wait \(PartitionLeases.time.components.seconds) s, and start them with the new "
                + "count (docs/architecture.md, 'Changing the partition count')"
        }
    }

    /// Registers this replica. Refuses a count other than the live replicas'; records
    /// a new count and returns the earlier counts whose bindings must be removed.
    func join() async throws -> [Int] {
        let (queue, replica, partitions, seconds) = (eventsQueue, replica, partitions, seconds)
        return try await pool.transaction { db in
            // Replicas starting together decide one after the other.
            try db.query("SELECT pg_advisory_xact_lock(7261002, hashtext(\(queue)))")
            let others = try db.query(
                """
                SELECT DISTINCT partitions FROM scheduler_replicas
                WHERE events_queue = \(queue) AND id <> \(replica) AND partitions <> \(partitions)
                    AND seen_at > now() - make_interval(secs => \(seconds))
                """
            ).all.compactMap { $0["partitions"].flatMap { Int($0) } }
            guard others.isEmpty else {
                throw CountConflict(configured: partitions, live: others.sorted(), eventsQueue: queue)
            }
            try Self.beat(replica, queue: queue, partitions: partitions, applied: 0, on: db)
            let row = try db.query(
                """
                SELECT partitions, array_to_string(unbind_pending, ',') AS pending
                FROM event_partitioning WHERE events_queue = \(queue) FOR UPDATE
                """
            ).first
            guard let row else {
                try db.query(
                    "INSERT INTO event_partitioning (events_queue, partitions) VALUES (\(queue), \(partitions))")
                return []
            }
            var pending = (row["pending"] ?? "").split(separator: ",").compactMap { Int($0) }
            let recorded = try row.int("partitions")
            if recorded != partitions {
                pending.append(recorded)
                try db.query(
                    """
                    UPDATE event_partitioning SET partitions = \(partitions), unbind_pending = \(pending)::integer[]
                    WHERE events_queue = \(queue)
                    """)
                // A partition retired by an earlier change and in use again is no longer retired.
                let inUse = (0..<partitions).map { "\(queue).\($0)" }
                try db.query(
                    "DELETE FROM event_queues_retiring WHERE events_queue = \(queue) AND queue = ANY(\(inUse))")
            }
            return pending
        }
    }

    /// After the bindings of `previous` counts are removed: their partitions above the
    /// current count are to be emptied and deleted.
    func finishRebinding(previous: [Int]) async throws {
        let retired = EventPartitions.retired(eventsQueue: eventsQueue, previous: previous, current: partitions)
        let queue = eventsQueue
        try await pool.transaction { db in
            for name in retired {
                try db.query(
                    "INSERT INTO event_queues_retiring (queue, events_queue) VALUES (\(name), \(queue)) ON CONFLICT DO NOTHING"
                )
            }
            try db.query("UPDATE event_partitioning SET unbind_pending = '{}' WHERE events_queue = \(queue)")
        }
    }

    /// Renews this replica's leases and liveness, and claims queues up to its share.
    func tick(applied: Int) async throws -> Tick {
        let (queue, replica, partitions, seconds) = (eventsQueue, replica, partitions, seconds)
        return try await pool.transaction { db in
            try Self.beat(replica, queue: queue, partitions: partitions, applied: applied, on: db)
            var held = try db.query(
                """
                UPDATE event_partition_leases SET expires_at = now() + make_interval(secs => \(seconds))
                WHERE owner = \(replica) RETURNING queue
                """
            ).all.compactMap { $0["queue"] }
            let live =
                try db.query(
                    """
                    SELECT count(*) AS n FROM scheduler_replicas
                    WHERE events_queue = \(queue) AND seen_at > now() - make_interval(secs => \(seconds))
                    """
                ).first?.int("n") ?? 1
            let retiring = Set(
                try db.query("SELECT queue FROM event_queues_retiring WHERE events_queue = \(queue)").all
                    .compactMap { $0["queue"] })
            let queues = EventPartitions.queues(eventsQueue: queue, partitions: partitions, retiring: Array(retiring))
            let share = EventPartitions.fairShare(queues: queues.count, liveReplicas: live)
            if held.count < share {
                let taken = Set(
                    try db.query(
                        "SELECT queue FROM event_partition_leases WHERE events_queue = \(queue) AND expires_at >= now()"
                    ).all.compactMap { $0["queue"] })
                // In one order for every replica, so that two claiming at once never deadlock.
                for candidate in queues.sorted() where !taken.contains(candidate) && !held.contains(candidate) {
                    guard held.count < share else { break }
                    let claimed = try db.query(
                        """
                        INSERT INTO event_partition_leases (queue, events_queue, owner, expires_at)
                        VALUES (\(candidate), \(queue), \(replica), now() + make_interval(secs => \(seconds)))
                        ON CONFLICT (queue) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
                        WHERE event_partition_leases.expires_at < now()
                        RETURNING queue
                        """)
                    if !claimed.isEmpty { held.append(candidate) }
                }
            }
            return Tick(held: held.sorted(), share: share, retiring: retiring, queues: queues)
        }
    }

    /// Gives a queue up (its consumer has stopped and acknowledged what it applied).
    func release(_ queue: String) async throws {
        let replica = replica
        try await pool.transaction { db in
            try db.query("DELETE FROM event_partition_leases WHERE queue = \(queue) AND owner = \(replica)")
        }
    }

    /// A retired partition was emptied and deleted.
    func retired(_ queue: String) async throws {
        let replica = replica
        try await pool.transaction { db in
            try db.query("DELETE FROM event_queues_retiring WHERE queue = \(queue)")
            try db.query("DELETE FROM event_partition_leases WHERE queue = \(queue) AND owner = \(replica)")
        }
    }

    /// This replica stops: its leases are free at once and it no longer counts.
    func leave() async throws {
        let replica = replica
        try await pool.transaction { db in
            try db.query("DELETE FROM event_partition_leases WHERE owner = \(replica)")
            try db.query("DELETE FROM scheduler_replicas WHERE id = \(replica)")
        }
    }

    private static func beat(
        _ replica: String, queue: String, partitions: Int, applied: Int, on db: PostgresTransaction
    ) throws {
        try db.query(
            """
            INSERT INTO scheduler_replicas (id, events_queue, partitions, applied, seen_at)
            VALUES (\(replica), \(queue), \(partitions), \(applied), now())
            ON CONFLICT (id) DO UPDATE SET seen_at = now(), applied = excluded.applied
            """)
        // Replicas that were killed leave a row behind; forget them after a day.
        try db.query("DELETE FROM scheduler_replicas WHERE seen_at < now() - interval '1 day'")
    }
}
