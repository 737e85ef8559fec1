import BatonContracts
import BatonPostgres
import Crypto
import Foundation

/// The `artifacts` table: files agents store by reference, one row per workflow and
/// name, the contents in `bytea`. Sent and read as base64 text (the connection speaks
/// PostgreSQL's text format; base64 costs a third more, hex would cost double).
enum ArtifactRows {
    enum Stored: Sendable {
        case stored(ArtifactView)
        /// The workflow already holds `limit` others.
        case tooMany(limit: Int)
        /// Ended: its artifacts no longer change.
        case ended(WorkflowStatus)
        case noWorkflow
    }

    /// Stores (or replaces) `name`. The workflow's row is locked, so that its end and
    /// the count of its artifacts cannot change meanwhile.
    static func store(
        _ contents: Data, name: String, contentType: String, of workflowId: String, maximumCount: Int,
        on db: PostgresTransaction
    ) throws -> Stored {
        guard
            let row = try db.query("SELECT status FROM workflows WHERE id = \(workflowId) FOR SHARE").first,
            let status = WorkflowStatus(rawValue: try row.string("status"))
        else { return .noWorkflow }
        if status.isTerminal { return .ended(status) }
        let others =
            try db.query(
                "SELECT count(*) AS n FROM artifacts WHERE workflow_id = \(workflowId) AND name <> \(name)"
            ).first?.int("n") ?? 0
        if others >= maximumCount { return .tooMany(limit: maximumCount) }
        let sha256 = SHA256.hash(data: contents).map { String(format: "%02x", $0) }.joined()
        let stored = try db.query(
            """
            INSERT INTO artifacts (workflow_id, name, content_type, bytes, sha256, body)
            VALUES (\(workflowId), \(name), \(contentType), \(contents.count), \(sha256),
                decode(\(contents.base64EncodedString()), 'base64'))
            ON CONFLICT (workflow_id, name) DO UPDATE SET content_type = excluded.content_type,
                bytes = excluded.bytes, sha256 = excluded.sha256, body = excluded.body, created_at = now()
            RETURNING extract(epoch FROM created_at) AS created
            """)
        return .stored(
            ArtifactView(
                name: name, contentType: contentType, bytes: contents.count, sha256: sha256,
                createdAt: Date(timeIntervalSince1970: Double(try stored.first?.string("created") ?? "") ?? 0)))
    }

    static func list(of workflowId: String, on db: PostgresTransaction) throws -> [ArtifactView] {
        try db.query(
            """
            SELECT name, content_type, bytes, sha256, extract(epoch FROM created_at) AS created
            FROM artifacts WHERE workflow_id = \(workflowId) ORDER BY created_at, name
            """
        ).all.map(view(from:))
    }

    static func fetch(
        _ name: String, of workflowId: String, on db: PostgresTransaction
    ) throws -> (
        ArtifactView, Data
    )? {
        guard
            let row = try db.query(
                """
                SELECT name, content_type, bytes, sha256, extract(epoch FROM created_at) AS created,
                    encode(body, 'base64') AS body
                FROM artifacts WHERE workflow_id = \(workflowId) AND name = \(name)
                """
            ).first
        else { return nil }
        // PostgreSQL breaks base64 into lines of 76 characters.
        guard let contents = Data(base64Encoded: try row.string("body"), options: .ignoreUnknownCharacters) else {
            throw PostgresError.unexpectedResult("artifact \(name) of \(workflowId) did not read back as base64")
        }
        return (try view(from: row), contents)
    }

    private static func view(from row: PostgresRow) throws -> ArtifactView {
        ArtifactView(
            name: try row.string("name"), contentType: try row.string("content_type"), bytes: try row.int("bytes"),
            sha256: try row.string("sha256"),
            createdAt: Date(timeIntervalSince1970: Double(try row.string("created")) ?? 0))
    }
}
