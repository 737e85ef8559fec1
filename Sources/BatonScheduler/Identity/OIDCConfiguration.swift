import BatonIdentity

/// `oidc:` of the scheduler's configuration: bearer tokens from an OpenID Connect
/// issuer (Keycloak, Auth0, …) are accepted beside API keys. Claims may be dotted
/// paths into the token (`realm_access.roles` for Keycloak's realm roles).
public struct OIDCConfiguration: Sendable, Codable, Equatable {
    /// Tokens' `iss` must be exactly this.
    public var issuer: String
    /// The issuer's JSON Web Key Set; by default found through
    /// `<issuer>/.well-known/openid-configuration`.
    public var jwksURL: String?
    /// Tokens' `aud` must name this (a token for another service is refused).
    public var audience: String
    /// The claim that names the caller (the `caller` of what it submits).
    public var subjectClaim: String
    /// The claim that names the caller's tenant.
    public var tenantClaim: String
    /// The claim that lists the caller's roles (a list, or a space-separated string);
    /// names that are not Baton roles are ignored.
    public var rolesClaim: String
    /// The tenant of tokens without the tenant claim; without it such tokens are refused.
    public var defaultTenant: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case issuer
        case jwksURL = "jwks_url"
        case audience
        case subjectClaim = "subject_claim"
        case tenantClaim = "tenant_claim"
        case rolesClaim = "roles_claim"
        case defaultTenant = "default_tenant"
    }

    public init(
        issuer: String, jwksURL: String? = nil, audience: String, subjectClaim: String = "sub",
        tenantClaim: String = "tenant", rolesClaim: String = "roles", defaultTenant: String? = nil
    ) {
        self.issuer = issuer
        self.jwksURL = jwksURL
        self.audience = audience
        self.subjectClaim = subjectClaim
        self.tenantClaim = tenantClaim
        self.rolesClaim = rolesClaim
        self.defaultTenant = defaultTenant
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            issuer: try c.decode(String.self, forKey: .issuer),
            jwksURL: try c.decodeIfPresent(String.self, forKey: .jwksURL),
            audience: try c.decode(String.self, forKey: .audience),
            subjectClaim: try c.decodeIfPresent(String.self, forKey: .subjectClaim) ?? "sub",
            tenantClaim: try c.decodeIfPresent(String.self, forKey: .tenantClaim) ?? "tenant",
            rolesClaim: try c.decodeIfPresent(String.self, forKey: .rolesClaim) ?? "roles",
            defaultTenant: try c.decodeIfPresent(String.self, forKey: .defaultTenant))
    }

    /// What is wrong with the settings, each as one line.
    func problems() -> [String] {
        var problems: [String] = []
        func isURL(_ text: String) -> Bool { text.hasPrefix("https://") || text.hasPrefix("http://") }
        if !isURL(issuer) { problems.append("oidc.issuer must be the issuer's http(s) URL, as its tokens' 'iss' says") }
        if let jwksURL, !isURL(jwksURL) { problems.append("oidc.jwks_url must be an http(s) URL") }
        if audience.isEmpty { problems.append("oidc.audience must name this service, as the tokens' 'aud' does") }
        for (name, claim) in [
            ("subject_claim", subjectClaim), ("tenant_claim", tenantClaim), ("roles_claim", rolesClaim),
        ]
        where claim.isEmpty || claim.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty)
        {
            problems.append("oidc.\(name) must be a claim name or a dotted path such as realm_access.roles")
        }
        if let defaultTenant, !TenantName.isValid(defaultTenant) {
            problems.append("oidc.default_tenant must be \(TenantName.rule)")
        }
        return problems
    }
}
