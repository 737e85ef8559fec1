import BatonContracts
import BatonHTTPClient
import BatonIdentity
import Foundation
import JWTKit

/// Checks bearer tokens of the configured OpenID Connect issuer: the signature against
/// the issuer's published keys (jwt-kit), then issuer, audience and validity period,
/// then reads the caller's subject, tenant and roles from the configured claims.
///
/// The keys are fetched when first needed and again when a token names a key not yet
/// known (an issuer rotating its keys), at most once per `refreshInterval`, so that
/// tokens with made-up key ids cannot make the scheduler hammer the issuer.
actor OIDCVerifier {
    let configuration: OIDCConfiguration
    private var keys = JWTKeyCollection()
    private var knownKeyIds: Set<String> = []
    private var fetchedAt: ContinuousClock.Instant?
    /// Why the last fetch failed, while no keys were ever had: an outage, not the token's fault.
    private var fetchFailure: KeysUnavailable?
    private let refreshInterval: Duration = .seconds(30)
    /// Clocks of issuer and scheduler differ a little.
    private let leeway: TimeInterval = 60

    init(configuration: OIDCConfiguration) {
        self.configuration = configuration
    }

    /// Why a token is refused, in words for its holder (never the token itself).
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    /// The issuer's keys cannot be had: not the caller's fault.
    struct KeysUnavailable: Error, CustomStringConvertible {
        let description: String
    }

    func principal(for token: String) async throws -> Principal {
        let keyId = Self.keyId(of: token)
        if fetchedAt == nil || (keyId.map { !knownKeyIds.contains($0) } ?? false) && mayRefresh {
            try await fetchKeys()
        }
        if let fetchFailure { throw fetchFailure }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch {
            throw Refusal(description: "the bearer token's signature does not verify with the issuer's keys (\(error))")
        }
        return try principal(from: claims.claims, now: Date())
    }

    private var mayRefresh: Bool {
        guard let fetchedAt else { return true }
        return fetchedAt.duration(to: .now) >= refreshInterval
    }

    /// Checks the verified claims; what the token says of its holder.
    func principal(from claims: JSONValue, now: Date) throws -> Principal {
        guard claims["iss"]?.stringValue == configuration.issuer else {
            throw Refusal(description: "the bearer token is not from the configured issuer \(configuration.issuer)")
        }
        let audiences =
            claims["aud"]?.arrayValue?.compactMap(\.stringValue) ?? [claims["aud"]?.stringValue].compactMap { $0 }
        guard audiences.contains(configuration.audience) else {
            throw Refusal(description: "the bearer token is not for '\(configuration.audience)' (its aud claim)")
        }
        guard let expires = claims["exp"]?.numberValue else {
            throw Refusal(description: "the bearer token has no expiry (exp)")
        }
        guard now.timeIntervalSince1970 < expires + leeway else {
            throw Refusal(description: "the bearer token has expired; get a new one from the issuer")
        }
        if let notBefore = claims["nbf"]?.numberValue, now.timeIntervalSince1970 + leeway < notBefore {
            throw Refusal(description: "the bearer token is not valid yet (nbf)")
        }
        guard let subject = Self.claim(configuration.subjectClaim, in: claims)?.stringValue,
            Identifiers.callerProblem(subject) == nil
        else {
            throw Refusal(
                description: "the bearer token's \(configuration.subjectClaim) claim is missing or not a usable name")
        }
        let tenant = Self.claim(configuration.tenantClaim, in: claims)?.stringValue ?? configuration.defaultTenant
        guard let tenant, TenantName.isValid(tenant) else {
            throw Refusal(
                description:
                    "the bearer token has no usable \(configuration.tenantClaim) claim (\(TenantName.rule)); ask your identity provider's administrator to map the tenant into it"
            )
        }
        let roleClaim = Self.claim(configuration.rolesClaim, in: claims)
        let names =
            roleClaim?.arrayValue?.compactMap(\.stringValue)
            ?? roleClaim?.stringValue?.split(separator: " ").map(String.init) ?? []
        return Principal(subject: subject, tenant: tenant, roles: Set(names.compactMap(Role.init(rawValue:))))
    }

    private func fetchKeys() async throws {
        fetchedAt = .now
        do {
            let url = try await jwksURL()
            let jwks = try JSONDecoder().decode(JWKS.self, from: try await Self.get(url))
            let fresh = JWTKeyCollection()
            try await fresh.add(jwks: jwks)
            keys = fresh
            knownKeyIds = Set(jwks.keys.compactMap { $0.keyIdentifier?.string })
            fetchFailure = nil
        } catch {
            let failure = KeysUnavailable(description: "the identity provider's keys cannot be fetched: \(error)")
            if knownKeyIds.isEmpty { fetchFailure = failure }
            throw failure
        }
    }

    private func jwksURL() async throws -> String {
        if let url = configuration.jwksURL { return url }
        let issuer =
            configuration.issuer.hasSuffix("/") ? String(configuration.issuer.dropLast()) : configuration.issuer
        let discovery = try JSONValue.parse(
            try await Self.get(issuer + "/.well-known/openid-configuration"), limits: .message)
        guard let url = discovery["jwks_uri"]?.stringValue else {
            throw Refusal(description: "the issuer's discovery document has no jwks_uri")
        }
        return url
    }

    private static func get(_ url: String) async throws -> Data {
        let response = try await HTTPClient.send(
            HTTPRequest(url: url, timeout: .seconds(10), connectTimeout: .seconds(5), maxResponseBytes: 1 << 20))
        guard response.status == 200 else { throw Refusal(description: "\(url) answered \(response.status)") }
        return response.body
    }

    /// The `kid` of a token's header, read before its signature is checked (to know
    /// whether the keys must be fetched again); nil when it names none.
    static func keyId(of token: String) -> String? {
        guard let header = token.split(separator: ".").first else { return nil }
        var base64 = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let value = try? JSONValue.parse(data, limits: .message) else {
            return nil
        }
        return value["kid"]?.stringValue
    }

    /// The value at a dotted claim path.
    static func claim(_ path: String, in claims: JSONValue) -> JSONValue? {
        path.split(separator: ".").reduce(Optional(claims)) { value, key in value?[String(key)] }
    }
}

/// A token's claims as they are: which ones matter is configured.
struct TokenClaims: JWTPayload {
    let claims: JSONValue

    init(from decoder: any Decoder) throws { claims = try JSONValue(from: decoder) }

    func encode(to encoder: any Encoder) throws { try claims.encode(to: encoder) }

    /// Checked by `OIDCVerifier` with the configured claims, after the signature.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
