import BatonContracts
import BatonIdentity
import BatonPostgres
import BatonWorkflow
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BatonScheduler

/// Issue #13: the API had no authentication at all. Every `/v1` request now names its
/// caller with a key; the caller's roles bound what it may do, and its tenant what it
/// may see. In-process routes over the real engine and repository on PostgreSQL.
@Suite struct AuthenticationTests {
    static let keys = Dictionary(
        uniqueKeysWithValues: ["admin", "alice", "bob", "mallory"].map { ($0, APIKeyToken.generate()) })
    static let configured = [
        ConfiguredAPIKey(name: "admin", tenant: "default", roles: ["admin"], sha256: keys["admin"]!.sha256),
        ConfiguredAPIKey(
            name: "alice", tenant: "default", roles: ["submit", "read", "answer", "cancel"],
            sha256: keys["alice"]!.sha256),
        ConfiguredAPIKey(name: "bob", tenant: "default", roles: ["submit", "read"], sha256: keys["bob"]!.sha256),
        ConfiguredAPIKey(
            name: "mallory", tenant: "elsewhere", roles: ["submit", "read", "answer", "cancel"],
            sha256: keys["mallory"]!.sha256),
    ]

    static func headers(_ token: String?, json: Bool = false) -> HTTPFields {
        var fields: HTTPFields = [:]
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    static func key(_ holder: String) -> String { keys[holder]!.text }

    static func body(_ response: TestResponse) -> JSONValue {
        (try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody)) ?? .null
    }

    @Test func aRequestWithoutAKnownKeyIsRefusedAndTheProbesStayOpen() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            let unknown = APIKeyToken.generate().text
            for token in [nil, unknown, "not-a-key", "bl_00_nobody", Self.key("alice") + "0"] {
                try await client.execute(uri: "/v1/workflows", method: .get, headers: Self.headers(token)) {
                    #expect($0.status == .unauthorized, "\(token ?? "no key")")
                    #expect(Self.body($0)["code"] == "unauthorized")
                    #expect($0.headers[.wwwAuthenticate] == "Bearer")
                    let message = Self.body($0)["message"]?.stringValue ?? ""
                    #expect(!message.isEmpty)
                    if let token { #expect(!message.contains(token)) }  // a secret is never echoed
                }
            }
            try await client.execute(
                uri: "/v1/workflows", method: .get, headers: [.authorization: "Basic YWxpY2U6c2VjcmV0"]
            ) { #expect($0.status == .unauthorized) }
            for open in ["/healthz", "/"] {
                try await client.execute(uri: open, method: .get) { #expect($0.status == .ok, "\(open)") }
            }
        }
    }

    @Test func rolesBoundWhatAKeyMayDo() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.headers(Self.key("bob"), json: true),
                body: ByteBuffer(string: #"{"id": "b-1", "agent": "chain"}"#)
            ) { #expect($0.status == .created) }
            try await client.execute(
                uri: "/v1/workflows/b-1/cancel", method: .post, headers: Self.headers(Self.key("bob"))
            ) {
                #expect($0.status == .forbidden)
                #expect(Self.body($0)["code"] == "forbidden")
                #expect(Self.body($0)["message"]?.stringValue?.contains("needs the role 'cancel'") == true)
            }
            try await client.execute(uri: "/v1/keys", method: .get, headers: Self.headers(Self.key("alice"))) {
                #expect($0.status == .forbidden)
            }
            // An administrator may do everything.
            try await client.execute(
                uri: "/v1/workflows/b-1/cancel", method: .post, headers: Self.headers(Self.key("admin"))
            ) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v1/identity", method: .get, headers: Self.headers(Self.key("bob"))) {
                #expect($0.status == .ok)
                #expect(Self.body($0) == ["subject": "bob", "tenant": "default", "roles": ["submit", "read"]])
            }
        }
    }

    @Test func theCallerIsWhoTheKeySaysAndCannotBeTyped() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.headers(Self.key("alice"), json: true),
                body: ByteBuffer(string: #"{"id": "a-1", "agent": "chain"}"#)
            ) {
                #expect($0.status == .created)
                #expect(Self.body($0)["caller"] == "alice")
                #expect(Self.body($0)["tenant"] == "default")
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.headers(Self.key("alice"), json: true),
                body: ByteBuffer(string: #"{"agent": "chain", "caller": "the boss"}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.body($0)["message"]?.stringValue?.contains("set from your identity ('alice')") == true)
            }
        }
    }

    /// Another tenant's workflow is a 404 to every operation, is never listed, cannot
    /// be a parent, and is not changed by any of it.
    @Test func anotherTenantsWorkflowIsInvisibleAndUntouchable() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.headers(Self.key("alice"), json: true),
                body: ByteBuffer(string: #"{"id": "secret", "agent": "chain", "input": {"plan": "merger"}}"#)
            ) { #expect($0.status == .created) }
            try await routes.report("secret", .interrupted(InterruptRequest(title: "Go?", question: "Go?")))
            let mallory = Self.headers(Self.key("mallory"), json: true)
            let probes: [(String, HTTPRequest.Method, String?)] = [
                ("/v1/workflows/secret", .get, nil), ("/v1/workflows/secret/history", .get, nil),
                ("/v1/workflows/secret/cancel", .post, "{}"),
                ("/v1/workflows/secret/input", .post, #"{"answer": {"choice": "yes"}}"#),
            ]
            for (uri, method, body) in probes {
                try await client.execute(
                    uri: uri, method: method, headers: mallory, body: body.map { ByteBuffer(string: $0) }
                ) {
                    #expect($0.status == .notFound, "\(method) \(uri)")
                    #expect(Self.body($0)["message"] == "no workflow with id 'secret'")
                }
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: mallory) {
                #expect(Self.body($0) == [])
            }
            try await client.execute(uri: "/v1/workflows?status=awaiting_input", method: .get, headers: mallory) {
                #expect(Self.body($0) == [])
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: mallory,
                body: ByteBuffer(string: #"{"agent": "chain", "parentId": "secret"}"#)
            ) {
                #expect($0.status == .badRequest)
                #expect(Self.body($0)["message"] == "parentId: no workflow with id 'secret'")
            }
            // The id is taken; the refusal tells nothing of the workflow that took it.
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: mallory,
                body: ByteBuffer(string: #"{"id": "secret", "agent": "chain"}"#)
            ) {
                #expect($0.status == .conflict)
                let text = String(buffer: $0.body)
                #expect(!text.contains("merger") && !text.contains("alice") && !text.contains("awaiting"))
            }
            try await client.execute(
                uri: "/v1/workflows/secret", method: .get, headers: Self.headers(Self.key("alice"))
            ) {
                #expect(Self.body($0)["status"] == "awaiting_input")  // nothing changed
                #expect(Self.body($0)["input"] == ["plan": "merger"])
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: Self.headers(Self.key("bob"))) {
                #expect(Self.body($0).arrayValue?.count == 1)  // the same tenant sees it
            }
        }
    }

    @Test func aKeyMadeThroughTheAPIWorksUntilItIsRevoked() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            let admin = Self.headers(Self.key("admin"), json: true)
            var token = ""
            var id = ""
            try await client.execute(
                uri: "/v1/keys", method: .post, headers: admin,
                body: ByteBuffer(string: #"{"name": "ci-bot", "roles": ["submit", "read"]}"#)
            ) {
                #expect($0.status == .created)
                token = Self.body($0)["token"]?.stringValue ?? ""
                id = Self.body($0)["key"]?["id"]?.stringValue ?? ""
                #expect(Self.body($0)["key"]?["tenant"] == "default")
                #expect(Self.body($0)["key"]?["roles"] == ["submit", "read"])
            }
            #expect(APIKeyToken(parsing: token)?.id == id)
            // Only the hash is stored.
            let stored = try await routes.repository.pool.autocommit { db in
                try db.query("SELECT sha256, id || name || tenant || roles AS rest FROM api_keys").all
            }
            #expect(stored.count == 1)
            #expect(stored.first?["sha256"] == APIKeyToken.sha256(of: token))
            #expect(stored.first?["rest"]?.contains(token.suffix(64)) == false)

            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: Self.headers(token, json: true),
                body: ByteBuffer(string: #"{"agent": "chain"}"#)
            ) {
                #expect($0.status == .created)
                #expect(Self.body($0)["caller"] == "ci-bot")
            }
            try await client.execute(uri: "/v1/keys", method: .get, headers: admin) {
                let listed = Self.body($0).arrayValue ?? []
                #expect(listed.compactMap { $0["name"]?.stringValue } == ["admin", "alice", "bob", "ci-bot"])
                #expect(!String(buffer: $0.body).contains(token.suffix(64)))
                #expect(!String(buffer: $0.body).contains(APIKeyToken.sha256(of: token)))
            }
            try await client.execute(uri: "/v1/keys/\(id)", method: .delete, headers: admin) {
                #expect($0.status == .ok)
                #expect(Self.body($0)["revokedAt"] != nil)
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: Self.headers(token)) {
                #expect($0.status == .unauthorized)
            }
            try await client.execute(uri: "/v1/keys/config:alice", method: .delete, headers: admin) {
                #expect($0.status == .conflict)
                #expect(Self.body($0)["code"] == "configured_key")
            }
            // Another tenant's administrator neither sees nor revokes this tenant's keys.
            try await client.execute(uri: "/v1/keys/\(id)", method: .delete, headers: Self.headers(Self.key("mallory")))
            {
                #expect($0.status == .forbidden)
            }
            try await client.execute(
                uri: "/v1/keys", method: .post, headers: admin,
                body: ByteBuffer(string: #"{"name": "x", "roles": ["root"]}"#)
            ) {
                #expect($0.status == .badRequest)
            }
        }
    }

    /// A running attempt's delegation token (its lease) submits and reads that
    /// workflow's children only, in its tenant, as its caller; once the attempt is
    /// over it is worth nothing.
    @Test func aDelegationTokenActsForItsWorkflowWhileItsAttemptRuns() async throws {
        let routes = try await RoutesHarness(apiKeys: Self.configured)
        try await routes.app.test(.router) { client in
            for (id, holder) in [("parent", "alice"), ("other", "alice")] {
                try await client.execute(
                    uri: "/v1/workflows", method: .post, headers: Self.headers(Self.key(holder), json: true),
                    body: ByteBuffer(string: #"{"id": "\#(id)", "agent": "chain"}"#)
                ) { #expect($0.status == .created) }
            }
            try await routes.report("parent", .started)
            let delegation = DelegationToken(
                workflowId: "parent", leaseToken: try await routes.leaseToken(of: "parent"))
            let headers = Self.headers(delegation.text, json: true)
            var child = ""
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: headers,
                body: ByteBuffer(string: #"{"id": "review", "agent": "chain", "parentId": "parent"}"#)
            ) {
                #expect($0.status == .created)
                child = Self.body($0)["id"]?.stringValue ?? ""
                #expect(Self.body($0)["caller"] == "alice")
                #expect(Self.body($0)["tenant"] == "default")
            }
            try await client.execute(
                uri: "/v1/workflows", method: .post, headers: headers, body: ByteBuffer(string: #"{"agent": "chain"}"#)
            ) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/v1/workflows/\(child)", method: .get, headers: headers) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v1/workflows/other", method: .get, headers: headers) {
                #expect($0.status == .notFound)
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: headers) {
                #expect(Self.body($0).arrayValue?.compactMap { $0["id"]?.stringValue } == [child])
            }
            try await client.execute(uri: "/v1/workflows/parent/cancel", method: .post, headers: headers) {
                #expect($0.status == .forbidden)
            }
            let forged = DelegationToken(workflowId: "other", leaseToken: delegation.leaseToken)
            try await client.execute(uri: "/v1/workflows", method: .get, headers: Self.headers(forged.text)) {
                #expect($0.status == .unauthorized)
            }
            try await routes.report("parent", .completed(output: [:]))
            try await client.execute(uri: "/v1/workflows/\(child)", method: .get, headers: headers) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    /// An operation added to docs/openapi.yaml without a role would be refused to all;
    /// this keeps the table and the document in step.
    @Test func everyOperationOfTheAPIHasARole() throws {
        let document = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .appendingPathComponent("../../../docs/openapi.yaml").standardized, encoding: .utf8)
        var operations: Set<String> = []
        var inAPI = false
        for line in document.split(separator: "\n") {
            if line.hasPrefix("  /") { inAPI = line.hasPrefix("  /v1/") }
            if inAPI, let range = line.range(of: "operationId: ") {
                operations.insert(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
            }
        }
        #expect(operations.count >= 10)
        #expect(operations == Set(AuthenticationMiddleware.requiredRoles.keys))
    }
}
