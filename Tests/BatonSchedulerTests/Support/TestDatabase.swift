import BatonPostgres
import Foundation
import Testing

@testable import BatonScheduler

/// A fresh, migrated database on the PostgreSQL that `scripts/services.sh` started
/// (`make test` exports its URL), one per test, so tests run in parallel.
enum TestDatabase {
    static let serverURL =
        ProcessInfo.processInfo.environment["BATON_POSTGRES_URL"] ?? "postgresql://postgres@127.0.0.1:16439/baton"

    static func fresh() async throws -> PostgresPool {
        let name = "baton_sched_\(UUID().uuidString.prefix(8).lowercased())"
        let admin: PostgresConnection
        do {
            admin = try await PostgresConnection.connect(serverURL, name: "test-admin", timeouts: .unbounded)
        } catch {
            Issue.record("PostgreSQL is not reachable at \(serverURL): start it with 'make services-start' (\(error))")
            throw error
        }
        try await admin.query("CREATE DATABASE \(unescaped: name)")
        await admin.close()
        let slash = serverURL.lastIndex(of: "/") ?? serverURL.endIndex
        let pool = PostgresPool(connectionString: String(serverURL[...slash]) + name, size: 2, name: "test")
        try await Migrations.run(on: pool)
        return pool
    }
}
