import BatonIdentity

/// Who sent a request, as authentication found it.
struct Principal: Sendable, Hashable {
    /// The key's name or the token's subject: the `caller` of what it submits.
    var subject: String
    var tenant: String
    var roles: Set<Role>
    /// Set for a running attempt's delegation token: it may submit this workflow's
    /// children and read them, nothing else.
    var delegatedBy: String?

    /// The caller of the request being handled. The generated operations do not see
    /// the HTTP layer's context, so the identity travels with the request's task,
    /// set by `AuthenticationMiddleware` before the operation runs.
    @TaskLocal static var current: Principal?
}
