import BatonContracts
import BatonHTTPClient
import BatonPostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@testable import BatonScheduler

/// Issue #13: any `Host` was accepted, so a page that rebinds its own name to the
/// scheduler's address (DNS rebinding) could read what the scheduler serves; and the
/// answers did not forbid framing or sniffing.
@Suite struct BrowserSafetyTests {
    static func app() async throws -> some ApplicationProtocol {
        try await RoutesHarness(allowedHosts: BrowserSafety.defaultHosts(httpHost: "127.0.0.1")).liveApp
    }

    /// Over a real connection with libcurl, which sends the `Host` it is given (the test
    /// framework's client would send the URL's).
    @Test func aRequestForAnotherHostIsRefused() async throws {
        try await Self.app().test(.live) { client in
            let port = try #require(client.port)
            for host in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example"] {
                let response = try await HTTPClient.send(
                    BatonHTTPClient.HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", headers: ["Host": host]))
                #expect(response.status == 421, "\(host)")
                #expect(
                    JSONValue(parsing: String(decoding: response.body, as: UTF8.self))?["code"] == "host_not_allowed")
                #expect(response.headers["x-frame-options"] == "DENY")
            }
            for host in ["127.0.0.1:8080", "localhost", "LOCALHOST:1", "[::1]:8080"] {
                let response = try await HTTPClient.send(
                    BatonHTTPClient.HTTPRequest(url: "http://127.0.0.1:\(port)/healthz", headers: ["Host": host]))
                #expect(response.status == 200, "\(host)")
            }
        }
    }

    @Test func everyAnswerForbidsFramingAndSniffing() async throws {
        try await Self.app().test(.live) { client in
            for uri in ["/", "/healthz", "/v1/workflows", "/nothing"] {
                try await client.execute(uri: uri, method: .get) {
                    #expect($0.headers[.xContentTypeOptions] == "nosniff", "\(uri)")
                    #expect($0.headers[BrowserSafety.frameOptions] == "DENY", "\(uri)")
                    #expect($0.headers[BrowserSafety.referrerPolicy] == "no-referrer", "\(uri)")
                }
            }
            try await client.execute(uri: "/", method: .get) {
                #expect($0.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
            }
        }
    }

    @Test func hostNamesAreReadWithoutTheirPort() {
        #expect(BrowserSafety.hostName("Example.org:8080") == "example.org")
        #expect(BrowserSafety.hostName("[::1]:80") == "[::1]")
        #expect(BrowserSafety.hostName("") == "")
        #expect(BrowserSafety.defaultHosts(httpHost: "0.0.0.0") == nil)
    }

    /// A configured origin's page may call the API (preflight and answers carry its
    /// origin, never credentials); any other origin's gets no CORS header, so the
    /// browser keeps the answers from it.
    @Test func onlyConfiguredOriginsGetCORSHeaders() async throws {
        let routes = try await RoutesHarness(corsOrigins: ["https://ops.example"])
        try await routes.app.test(.router) { client in
            let preflight: HTTPFields = [
                .origin: "https://ops.example", .accessControlRequestMethod: "POST",
                .accessControlRequestHeaders: "authorization, content-type",
            ]
            try await client.execute(uri: "/v1/workflows", method: .options, headers: preflight) {
                #expect($0.status == .noContent)
                #expect($0.headers[.accessControlAllowOrigin] == "https://ops.example")
                #expect($0.headers[.accessControlAllowHeaders]?.lowercased().contains("authorization") == true)
                #expect($0.headers[.accessControlAllowCredentials] == nil)
                #expect($0.headers[BrowserSafety.frameOptions] == "DENY")
            }
            try await client.execute(uri: "/v1/workflows", method: .get, headers: [.origin: "https://ops.example"]) {
                #expect($0.status == .unauthorized)  // an answer, with its origin, still needs a key
                #expect($0.headers[.accessControlAllowOrigin] == "https://ops.example")
            }
            for origin in ["https://evil.example", "null", "https://ops.example.evil.example"] {
                try await client.execute(uri: "/v1/workflows", method: .get, headers: [.origin: origin]) {
                    #expect($0.headers[.accessControlAllowOrigin] == nil, "\(origin)")
                }
                try await client.execute(
                    uri: "/v1/workflows", method: .options,
                    headers: [.origin: origin, .accessControlRequestMethod: "POST"]
                ) {
                    #expect($0.headers[.accessControlAllowOrigin] == nil, "\(origin)")
                }
            }
        }
        #expect(CORSPolicyMiddleware<BasicRequestContext>.problem("https://ops.example:8443") == nil)
        #expect(CORSPolicyMiddleware<BasicRequestContext>.problem("https://ops.example/") != nil)
        #expect(CORSPolicyMiddleware<BasicRequestContext>.problem("*") != nil)
    }
}
