import BatonAPI
import BatonContracts
import BatonIdentity
import BatonPostgres
import BatonWorkflow
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Who may run which operation: every `/v1` request names its caller with
/// `Authorization: Bearer <token>`, and the operation's role must be among the
/// caller's. Runs inside the generated server, where the operation is known, and
/// hands the operation its caller as `Principal.current`.
///
/// hummingbird-auth's authenticator middleware is not used: the generated operations
/// never see Hummingbird's request context, so an identity stored there would need a
/// second middleware to reach them, and the operation's role is known only here.
struct AuthenticationMiddleware: ServerMiddleware {
    let keys: APIKeyStore
    let pool: PostgresPool
    /// Tokens of the configured OpenID Connect issuer, if there is one.
    let oidc: OIDCVerifier?

    /// The role each operation needs (`none`: any caller). An operation missing
    /// here is refused to everyone (a test checks that every documented operation is here).
    static let requiredRoles: [String: Role?] = [
        Operations.GetIdentity.id: Role?.none,
        Operations.SubmitWorkflow.id: .submit,
        Operations.ListWorkflows.id: .read,
        Operations.ListAgents.id: .read,
        Operations.GetWorkflow.id: .read,
        Operations.GetWorkflowHistory.id: .read,
        Operations.StreamWorkflowEvents.id: .read,
        Operations.StreamTenantEvents.id: .read,
        Operations.CancelWorkflow.id: .cancel,
        Operations.PauseWorkflow.id: .cancel,
        Operations.ResumeWorkflow.id: .cancel,
        Operations.TerminateWorkflow.id: .cancel,
        Operations.ForkWorkflow.id: .submit,
        Operations.RetryWorkflow.id: .submit,
        Operations.AnswerWorkflow.id: .answer,
        Operations.CreateKey.id: .admin,
        Operations.ListKeys.id: .admin,
        Operations.RevokeKey.id: .admin,
        Operations.PruneWorkflows.id: .admin,
        Operations.ListArtifacts.id: .read,
        Operations.GetArtifact.id: .read,
        // And the workflow's own delegation token or an administrator (WorkflowController+Artifacts).
        Operations.PutArtifact.id: .submit,
    ]

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let principal = try await authenticate(request.headerFields[.authorization])
        guard let needed = Self.requiredRoles[operationID] else {
            throw APIErrorResponse(
                .forbidden, code: "forbidden", message: "operation \(operationID) is not open to any role")
        }
        if let role = needed, !principal.roles.allow(role) {
            let held = principal.roles.isEmpty ? "none" : principal.roles.text
            throw APIErrorResponse(
                .forbidden, code: "forbidden",
                message:
                    "\(operationID) needs the role '\(role.rawValue)'; the caller '\(principal.subject)' has: \(held)")
        }
        return try await Principal.$current.withValue(principal) { try await next(request, body, metadata) }
    }

    private func authenticate(_ authorization: String?) async throws -> Principal {
        guard let authorization else {
            throw Self.unauthorized(
                "this request has no API key: send 'Authorization: Bearer <key>' (ask your operator for one, or see 'baton keys')"
            )
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized("the Authorization header must be 'Bearer <key>'")
        }
        let text = parts[1].trimmingCharacters(in: .whitespaces)
        if let token = APIKeyToken(parsing: text) {
            guard let principal = try await keys.principal(for: token) else {
                throw Self.unauthorized("API key \(token) is unknown or revoked")
            }
            return principal
        }
        if let token = DelegationToken(parsing: text), Identifiers.isValidWorkflowId(token.workflowId) {
            guard let principal = try await delegated(token) else {
                throw Self.unauthorized(
                    "the \(token) is not current: the attempt it was made for has ended or was replaced")
            }
            return principal
        }
        if text.split(separator: ".", omittingEmptySubsequences: false).count == 3 {
            guard let oidc else {
                throw Self.unauthorized(
                    "this scheduler accepts no identity provider's tokens (no oidc in its configuration)")
            }
            do {
                return try await oidc.principal(for: text)
            } catch let refusal as OIDCVerifier.Refusal {
                throw Self.unauthorized(refusal.description)
            } catch let unavailable as OIDCVerifier.KeysUnavailable {
                throw APIErrorResponse(
                    .serviceUnavailable, code: "unavailable", message: unavailable.description,
                    headers: [.retryAfter: "5"])
            }
        }
        throw Self.unauthorized(
            "the bearer token is not a Baton API key ('bk_…'), a delegation token ('bl_…') or a JSON Web Token")
    }

    /// The running attempt's caller, if the token is the workflow's current lease.
    private func delegated(_ token: DelegationToken) async throws -> Principal? {
        guard
            let workflow = try await pool.autocommit({ db in try WorkflowReads.delegator(of: token.workflowId, on: db) }
            ),
            let lease = workflow.leaseToken, LeaseToken.matches(lease, token.leaseToken),
            workflow.status == .dispatched || workflow.status == .running
        else { return nil }
        return Principal(
            subject: workflow.caller ?? "workflow:\(token.workflowId)", tenant: workflow.tenant,
            roles: [.submit, .read], delegatedBy: token.workflowId)
    }

    private static func unauthorized(_ message: String) -> APIErrorResponse {
        APIErrorResponse(.unauthorized, code: "unauthorized", message: message, headers: [.wwwAuthenticate: "Bearer"])
    }
}
