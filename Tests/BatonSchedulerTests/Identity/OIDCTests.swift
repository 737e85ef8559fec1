import BatonContracts
import Foundation
import Hummingbird
import HummingbirdTesting
import JWTKit
import Logging
import Testing

@testable import BatonScheduler

/// Issue #13: bearer tokens of an OpenID Connect issuer (Keycloak, Auth0, …) are
/// verified against the issuer's published keys, with tenant and roles from
/// configurable claims. The issuer here is the test's: a key pair it makes, its JWKS
/// and discovery document served on a local port.
@Suite struct OIDCTests {
    struct Claims: JWTPayload {
        var iss: String
        var aud: [String]
        var sub: String?
        var exp: Double?
        var nbf: Double?
        var org: String?
        var realm_access: [String: [String]]?

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    /// A signing key of the test's issuer and the JWKS that publishes it.
    struct Issuer {
        let signer = JWTKeyCollection()
        let jwks: String

        init(kid: String) async throws {
            let key = ES256PrivateKey()
            let parameters = try #require(key.publicKey.parameters)
            await signer.add(ecdsa: key, kid: JWKIdentifier(string: kid))
            jwks = """
                {"keys": [{"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "\(kid)",
                  "x": "\(parameters.x)", "y": "\(parameters.y)"}]}
                """
        }

        func token(_ claims: Claims, kid: String) async throws -> String {
            try await signer.sign(claims, kid: JWKIdentifier(string: kid))
        }
    }

    /// Serves the issuer's discovery document and JWKS (`jwks`: what it publishes now),
    /// counting fetches; runs `body` with the issuer URL.
    static func withIssuer(
        publishing jwks: @escaping @Sendable () -> String,
        _ body: @escaping @Sendable (String, Counter) async throws -> Void
    ) async throws {
        let fetches = Counter()
        let router = Router()
        let base = Mutex(value: "")
        router.get(".well-known/openid-configuration") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: #"{"jwks_uri": "\#(base.get())/keys"}"#)))
        }
        router.get("keys") { _, _ in
            fetches.increment()
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: jwks())))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let url = "http://127.0.0.1:\(try #require(client.port))"
            base.set(url)
            try await body(url, fetches)
        }
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var count = 0
        func increment() { lock.withLock { count += 1 } }
        var value: Int { lock.withLock { count } }
    }

    final class Mutex: @unchecked Sendable {
        private let lock = NSLock()
        private var value: String
        init(value: String) { self.value = value }
        func get() -> String { lock.withLock { value } }
        func set(_ new: String) { lock.withLock { value = new } }
    }

    static func routes(issuer: String) async throws -> some ApplicationProtocol {
        try await RoutesHarness(
            oidc: OIDCConfiguration(
                issuer: issuer, audience: "baton", tenantClaim: "org", rolesClaim: "realm_access.roles")
        ).app
    }

    static func body(_ response: TestResponse) -> JSONValue {
        (try? JSONValue.parse(Data(buffer: response.body), limits: .requestBody)) ?? .null
    }

    @Test func aTokenOfTheIssuerIsTheCallerItNames() async throws {
        let issuer = try await Issuer(kid: "k1")
        let jwks = issuer.jwks
        try await Self.withIssuer(publishing: { jwks }) { url, fetches in
            let now = Date().timeIntervalSince1970
            let good = Claims(
                iss: url, aud: ["account", "baton"], sub: "alice@example.com", exp: now + 300, org: "acme",
                realm_access: ["roles": ["submit", "read", "offline_access"]])
            let token = try await issuer.token(good, kid: "k1")
            try await Self.routes(issuer: url).test(.router) { client in
                try await client.execute(
                    uri: "/v1/identity", method: .get, headers: [.authorization: "Bearer \(token)"]
                ) {
                    #expect($0.status == .ok)
                    #expect(
                        Self.body($0) == [
                            "subject": "alice@example.com", "tenant": "acme", "roles": ["submit", "read"],
                        ])
                }
                try await client.execute(
                    uri: "/v1/workflows", method: .post,
                    headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                    body: ByteBuffer(string: #"{"agent": "chain"}"#)
                ) {
                    #expect($0.status == .created)
                    #expect(Self.body($0)["caller"] == "alice@example.com")
                    #expect(Self.body($0)["tenant"] == "acme")
                }
                try await client.execute(
                    uri: "/v1/workflows/x/cancel", method: .post, headers: [.authorization: "Bearer \(token)"]
                ) { #expect($0.status == .forbidden) }  // no cancel role in the token
            }
            #expect(fetches.value == 1)  // the keys were fetched once, through discovery
        }
    }

    @Test func aTokenThatIsNotTheIssuersForUsAndCurrentIsRefused() async throws {
        let issuer = try await Issuer(kid: "k1")
        let stranger = try await Issuer(kid: "k1")  // same key id, another key
        let jwks = issuer.jwks
        try await Self.withIssuer(publishing: { jwks }) { url, fetches in
            let now = Date().timeIntervalSince1970
            let good = Claims(iss: url, aud: ["baton"], sub: "alice", exp: now + 300, org: "acme")
            var cases: [(String, String)] = []
            cases.append((try await stranger.token(good, kid: "k1"), "signature"))
            var claims = good
            claims.iss = "https://elsewhere.example"
            cases.append((try await issuer.token(claims, kid: "k1"), "issuer"))
            claims = good
            claims.aud = ["another-service"]
            cases.append((try await issuer.token(claims, kid: "k1"), "is not for 'baton'"))
            claims = good
            claims.exp = now - 3600
            cases.append((try await issuer.token(claims, kid: "k1"), "expired"))
            claims = good
            claims.exp = nil
            cases.append((try await issuer.token(claims, kid: "k1"), "no expiry"))
            claims = good
            claims.nbf = now + 3600
            cases.append((try await issuer.token(claims, kid: "k1"), "not valid yet"))
            claims = good
            claims.org = nil
            cases.append((try await issuer.token(claims, kid: "k1"), "no usable org claim"))
            claims = good
            claims.sub = "alice\nforged log line"
            cases.append((try await issuer.token(claims, kid: "k1"), "sub claim"))
            // An unsigned token ("alg": "none") with the good claims.
            let unsigned =
                Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64URL + "." + (try JSONEncoder().encode(good)).base64URL
                + "."
            cases.append((unsigned, "signature"))
            let refused = cases
            try await Self.routes(issuer: url).test(.router) { client in
                for (token, reason) in refused {
                    try await client.execute(
                        uri: "/v1/identity", method: .get, headers: [.authorization: "Bearer \(token)"]
                    ) {
                        #expect($0.status == .unauthorized, "\(reason)")
                        let message = Self.body($0)["message"]?.stringValue ?? ""
                        #expect(message.contains(reason), "\(message)")
                        #expect(!message.contains(token))
                    }
                }
            }
            #expect(fetches.value <= 2)
        }
    }

    /// A token naming a key the scheduler has not seen makes it fetch the keys again,
    /// at most once per interval: a rotation is followed, a flood is not.
    @Test func aRotatedKeyIsFetchedOnceAndAnUnknownOneDoesNotFloodTheIssuer() async throws {
        let old = try await Issuer(kid: "old")
        let new = try await Issuer(kid: "new")
        let published = Mutex(value: old.jwks)
        try await Self.withIssuer(publishing: { published.get() }) { url, fetches in
            let now = Date().timeIntervalSince1970
            let claims = Claims(iss: url, aud: ["baton"], sub: "alice", exp: now + 300, org: "acme")
            let verifier = OIDCVerifier(
                configuration: OIDCConfiguration(issuer: url, audience: "baton", tenantClaim: "org"))
            let first = try await verifier.principal(for: try await old.token(claims, kid: "old"))
            #expect(first.subject == "alice")
            published.set(new.jwks)
            // Within the interval the new key is not fetched yet; the token is refused.
            await #expect(throws: OIDCVerifier.Refusal.self) {
                try await verifier.principal(for: try await new.token(claims, kid: "new"))
            }
            for _ in 0..<20 {
                _ = try? await verifier.principal(for: try await new.token(claims, kid: "made-up"))
            }
            #expect(fetches.value == 1)
        }
    }

    /// An issuer whose keys cannot be fetched is an outage (503), for the first token and
    /// for those that follow before the next try, never a bad signature (401).
    @Test func anIssuerThatCannotBeReachedIsAnOutageNotARefusal() async throws {
        let issuer = try await Issuer(kid: "k1")
        let claims = Claims(
            iss: "http://127.0.0.1:9", aud: ["baton"], sub: "alice", exp: Date().timeIntervalSince1970 + 300,
            org: "acme")
        let token = try await issuer.token(claims, kid: "k1")
        let verifier = OIDCVerifier(
            configuration: OIDCConfiguration(
                issuer: "http://127.0.0.1:9", jwksURL: "http://127.0.0.1:9/keys", audience: "baton", tenantClaim: "org")
        )
        for _ in 0..<2 {
            await #expect(throws: OIDCVerifier.KeysUnavailable.self) { try await verifier.principal(for: token) }
        }
    }

    @Test func claimsAreReadAtDottedPathsAndRolesFromAStringToo() throws {
        let claims: JSONValue = ["realm_access": ["roles": ["read"]], "scope": "submit read openid"]
        #expect(OIDCVerifier.claim("realm_access.roles", in: claims) == ["read"])
        #expect(OIDCVerifier.claim("realm_access.missing", in: claims) == nil)
        #expect(OIDCVerifier.claim("scope", in: claims) == "submit read openid")
    }
}

extension Data {
    fileprivate var base64URL: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
