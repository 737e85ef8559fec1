import BatonContracts
import BatonIdentity
import BatonPostgres
import Foundation
import Synchronization

/// The API keys: those of the configuration and those made through the API (table
/// `api_keys`, where only their hashes are kept).
///
/// A key made through the API is looked up by its id on first use, then remembered
/// for `cacheSeconds`, so that a burst of requests costs one query; a revocation takes
/// effect at once on the replica that made it, and within `cacheSeconds` on the others.
final class APIKeyStore: Sendable {
    static let cacheSeconds = 5.0
    let configured: [ConfiguredAPIKey]
    /// The configured keys' holders, made once: every request with such a key looks here.
    private let configuredHolders: [(sha256: String, principal: Principal)]
    let pool: PostgresPool
    private let remembered = Mutex<[String: (principal: Principal?, until: ContinuousClock.Instant)]>([:])

    init(configured: [ConfiguredAPIKey], pool: PostgresPool) {
        self.configured = configured
        configuredHolders = configured.map { ($0.sha256, $0.principal) }
        self.pool = pool
    }

    /// The key's holder; nil for a key nobody made, or one revoked.
    func principal(for token: APIKeyToken) async throws -> Principal? {
        let hash = token.sha256
        if let holder = configuredHolders.first(where: { APIKeyToken.sameHash($0.sha256, hash) }) {
            return holder.principal
        }
        let now = ContinuousClock.now
        if let entry = remembered.withLock({ $0[hash] }), entry.until > now { return entry.principal }
        let row = try await pool.autocommit { db in
            try db.query(
                "SELECT name, tenant, roles, sha256 FROM api_keys WHERE id = \(token.id) AND revoked_at IS NULL"
            )
            .first
        }
        var principal: Principal?
        if let row, APIKeyToken.sameHash(try row.string("sha256"), hash) {
            principal = Principal(
                subject: try row.string("name"), tenant: try row.string("tenant"),
                roles: (try? Role.parse(try row.string("roles")).get()) ?? [], delegatedBy: nil)
        }
        remembered.withLock { entries in
            if entries.count > 10_000 { entries.removeAll() }  // bounded: unknown keys are remembered too
            entries[hash] = (principal, now + .seconds(Self.cacheSeconds))
        }
        return principal
    }

    func create(name: String, tenant: String, roles: Set<Role>) async throws -> CreatedAPIKey {
        let token = APIKeyToken.generate()
        let created = try await pool.transaction { db in
            try db.query(
                """
                INSERT INTO api_keys (id, name, tenant, roles, sha256) VALUES
                (\(token.id), \(name), \(tenant), \(roles.text), \(token.sha256)) RETURNING extract(epoch FROM created_at) AS created
                """
            ).first?.string("created")
        }
        let key = APIKeyView(
            id: token.id, name: name, tenant: tenant, roles: roles.sorted().map(\.rawValue), source: "api",
            createdAt: created.flatMap(Double.init).map(Date.init(timeIntervalSince1970:)))
        return CreatedAPIKey(key: key, token: token.text)
    }

    /// The tenant's keys, configured ones first, then the others oldest first.
    func list(tenant: String) async throws -> [APIKeyView] {
        let stored = try await pool.autocommit { db in
            try db.query(
                """
                SELECT \(unescaped: Self.columns) FROM api_keys WHERE tenant = \(tenant) ORDER BY created_at, id
                """
            ).all.map(Self.view(from:))
        }
        return configured.filter { $0.tenant == tenant }.map(\.view) + stored
    }

    enum Revocation {
        case revoked(APIKeyView)
        case configured(ConfiguredAPIKey)
        case notFound
    }

    func revoke(id: String, tenant: String) async throws -> Revocation {
        if let key = configured.first(where: { $0.view.id == id && $0.tenant == tenant }) { return .configured(key) }
        let row = try await pool.transaction { db in
            try db.query(
                """
                UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = \(id) AND tenant = \(tenant)
                RETURNING \(unescaped: Self.columns)
                """
            ).first
        }
        guard let row else { return .notFound }
        let hash = try row.string("sha256")
        remembered.withLock { $0[hash] = nil }
        return .revoked(try Self.view(from: row))
    }

    private static let columns =
        "id, name, tenant, roles, sha256, extract(epoch FROM created_at) AS created, extract(epoch FROM revoked_at) AS revoked"

    private static func view(from row: PostgresRow) throws -> APIKeyView {
        APIKeyView(
            id: try row.string("id"), name: try row.string("name"), tenant: try row.string("tenant"),
            roles: try row.string("roles").split(separator: ",").map(String.init), source: "api",
            createdAt: row["created"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)),
            revokedAt: row["revoked"].flatMap(Double.init).map(Date.init(timeIntervalSince1970:)))
    }
}
