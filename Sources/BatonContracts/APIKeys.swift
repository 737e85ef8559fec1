import Foundation

/// An API key as the API shows it: never its secret, which only its creation answers.
public struct APIKeyView: Sendable, Hashable, Codable {
    /// The part of the key before its secret (`bk_<id>_…`); `config:<name>` for a key of
    /// the scheduler's configuration.
    public var id: String
    public var name: String
    public var tenant: String
    public var roles: [String]
    /// `api` (made with `POST /v1/keys`, revocable there) or `config`.
    public var source: String
    public var createdAt: Date?
    public var revokedAt: Date?

    public init(
        id: String, name: String, tenant: String, roles: [String], source: String, createdAt: Date? = nil,
        revokedAt: Date? = nil
    ) {
        self.id = id
        self.name = name
        self.tenant = tenant
        self.roles = roles
        self.source = source
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// `POST /v1/keys`: a key for the caller's tenant.
public struct CreateAPIKeyRequest: Sendable, Hashable, Codable {
    /// Who or what holds the key; recorded as the `caller` of what it submits.
    public var name: String
    public var roles: [String]

    public init(name: String, roles: [String]) {
        self.name = name
        self.roles = roles
    }
}

/// The answer to `POST /v1/keys`: the only time the key itself is shown.
public struct CreatedAPIKey: Sendable, Hashable, Codable {
    public var key: APIKeyView
    /// Send it as `Authorization: Bearer <token>`; it cannot be shown again.
    public var token: String

    public init(key: APIKeyView, token: String) {
        self.key = key
        self.token = token
    }
}

/// `GET /v1/identity`: who the caller is, as the scheduler authenticated it.
public struct CallerIdentity: Sendable, Hashable, Codable {
    public var subject: String
    public var tenant: String
    public var roles: [String]
    public var delegatedBy: String?

    public init(subject: String, tenant: String, roles: [String], delegatedBy: String? = nil) {
        self.subject = subject
        self.tenant = tenant
        self.roles = roles
        self.delegatedBy = delegatedBy
    }
}
