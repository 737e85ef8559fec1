import BatonContracts
import BatonIdentity
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BatonScheduler

/// Issue #14: large artifacts (reports, files) are stored by reference, with their own
/// size limit, and fetched through the API. In-process routes on PostgreSQL.
@Suite struct ArtifactRoutesTests {
    typealias Auth = AuthenticationTests

    static func headers(_ token: String, type: String) -> HTTPFields {
        var fields = Auth.headers(token)
        fields[.contentType] = type
        return fields
    }

    /// A running workflow of alice's, and its attempt's delegation token.
    static func running(
        _ id: String, on routes: RoutesHarness, client: some TestClientProtocol
    ) async throws
        -> DelegationToken
    {
        try await client.execute(
            uri: "/v1/workflows", method: .post, headers: Auth.headers(Auth.key("alice"), json: true),
            body: ByteBuffer(string: #"{"id": "\#(id)", "agent": "chain"}"#)
        ) { #expect($0.status == .created) }
        try await routes.report(id, .started)
        return DelegationToken(workflowId: id, leaseToken: try await routes.leaseToken(of: id))
    }

    @Test func anAgentStoresAReportThatItsReadersFetch() async throws {
        let routes = try await RoutesHarness(apiKeys: Auth.configured)
        try await routes.app.test(.router) { client in
            let token = try await Self.running("reporting", on: routes, client: client)
            // Larger than max_request_bytes (64 KiB in the harness): artifacts have their own cap.
            let report = "# Deliveries\n\n" + String(repeating: "Carriers are late. ", count: 20_000)
            let sha256 = SHA256.hash(data: Data(report.utf8)).map { String(format: "%02x", $0) }.joined()
            try await client.execute(
                uri: "/v1/workflows/reporting/artifacts/report.md", method: .put,
                headers: Self.headers(token.text, type: "text/markdown"), body: ByteBuffer(string: report)
            ) { response in
                #expect(response.status == .created)
                let body = Auth.body(response)
                #expect(body["name"] == "report.md")
                #expect(body["contentType"] == "text/markdown")
                #expect(body["bytes"]?.numberValue == Double(report.utf8.count))
                #expect(body["sha256"]?.stringValue == sha256)
            }
            let png = Data([0x89, 0x50, 0x4E, 0x47, 0, 1, 2, 255])
            try await client.execute(
                uri: "/v1/workflows/reporting/artifacts/chart.png", method: .put,
                headers: Self.headers(token.text, type: "image/png"), body: ByteBuffer(bytes: png)
            ) { #expect($0.status == .created) }
            // Stored again under its name: replaced, not added.
            try await client.execute(
                uri: "/v1/workflows/reporting/artifacts/chart.png", method: .put,
                headers: Self.headers(token.text, type: "image/png"), body: ByteBuffer(bytes: png + png)
            ) { #expect($0.status == .created) }

            let bob = Auth.headers(Auth.key("bob"))  // a reader of the same tenant
            try await client.execute(uri: "/v1/workflows/reporting/artifacts", method: .get, headers: bob) {
                #expect($0.status == .ok)
                let listed = Auth.body($0).arrayValue ?? []
                #expect(listed.compactMap { $0["name"]?.stringValue } == ["report.md", "chart.png"])
                #expect(listed.last?["bytes"]?.numberValue == Double(2 * png.count))
            }
            try await client.execute(uri: "/v1/workflows/reporting/artifacts/report.md", method: .get, headers: bob) {
                #expect($0.status == .ok)
                #expect($0.headers[.contentType] == "text/markdown")
                #expect($0.headers[HTTPField.Name("X-Content-SHA256")!] == sha256)
                #expect(String(buffer: $0.body) == report)
            }
            try await client.execute(uri: "/v1/workflows/reporting/artifacts/chart.png", method: .get, headers: bob) {
                #expect($0.headers[.contentType] == "image/png")
                #expect(Data(buffer: $0.body) == png + png)
            }
            try await client.execute(uri: "/v1/workflows/reporting/artifacts/none.md", method: .get, headers: bob) {
                #expect($0.status == .notFound)
                #expect(Auth.body($0)["message"] == "workflow reporting has no artifact 'none.md'")
            }
            // Another tenant sees no workflow at all.
            let mallory = Auth.headers(Auth.key("mallory"))
            for uri in ["/v1/workflows/reporting/artifacts", "/v1/workflows/reporting/artifacts/report.md"] {
                try await client.execute(uri: uri, method: .get, headers: mallory) {
                    #expect($0.status == .notFound, "\(uri)")
                    #expect(!String(buffer: $0.body).contains("Carriers"))
                }
            }
            // Ended: the artifacts stay readable and no longer change.
            try await routes.report("reporting", .completed(output: ["report": ["artifact": "report.md"]]))
            try await client.execute(
                uri: "/v1/workflows/reporting/artifacts/report.md", method: .get, headers: bob
            ) { #expect($0.status == .ok) }
            try await client.execute(
                uri: "/v1/workflows/reporting/artifacts/late.md", method: .put,
                headers: Self.headers(Auth.key("admin"), type: "text/markdown"), body: ByteBuffer(string: "late")
            ) {
                #expect($0.status == .conflict)
                #expect(Auth.body($0)["code"] == "workflow_ended")
            }
        }
    }

    @Test func onlyTheWorkflowsOwnAttemptStoresWithinTheCaps() async throws {
        let routes = try await RoutesHarness(apiKeys: Auth.configured)
        try await routes.app.test(.router) { client in
            let token = try await Self.running("capped", on: routes, client: client)
            let other = try await Self.running("neighbour", on: routes, client: client)
            let uri = "/v1/workflows/capped/artifacts/out.csv"
            // A person with the submit role may not write it; another workflow's token does not even see it.
            for (who, holder, status) in [
                ("alice", Auth.key("alice"), HTTPResponse.Status.forbidden), ("neighbour", other.text, .notFound),
            ] {
                try await client.execute(
                    uri: uri, method: .put, headers: Self.headers(holder, type: "text/csv"),
                    body: ByteBuffer(string: "a,b")
                ) { #expect($0.status == status, "\(who)") }
            }
            // Over max_artifact_bytes (16 MiB by default): refused with the cap's name.
            try await client.execute(
                uri: uri, method: .put, headers: Self.headers(token.text, type: "text/csv"),
                body: ByteBuffer(repeating: UInt8(ascii: "x"), count: (16 << 20) + 1)
            ) { response in
                #expect(response.status == .contentTooLarge)
                #expect(Auth.body(response)["code"] == "artifact_too_large")
                #expect(Auth.body(response)["message"]?.stringValue?.contains("limits.max_artifact_bytes") == true)
            }
            // A type the API does not store, and a name that could climb out of a folder.
            try await client.execute(
                uri: uri, method: .put, headers: Self.headers(token.text, type: "text/html"),
                body: ByteBuffer(string: "<script>")
            ) { response in
                #expect(response.status == .unsupportedMediaType)
                #expect(Auth.body(response)["message"]?.stringValue?.hasPrefix("an artifact is one of") == true)
            }
            for name in [".hidden", "..", "a%2Fb"] {
                try await client.execute(
                    uri: "/v1/workflows/capped/artifacts/\(name)", method: .put,
                    headers: Self.headers(token.text, type: "text/plain"), body: ByteBuffer(string: "x")
                ) { #expect($0.status == .badRequest, "\(name): \($0.status)") }
            }
            try await client.execute(
                uri: uri, method: .put, headers: Self.headers(token.text, type: "text/csv"),
                body: ByteBuffer(string: "a,b\n1,2\n")
            ) { #expect($0.status == .created) }
        }
    }
}
