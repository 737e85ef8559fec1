import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Sends the client's credential with every request, or, inside a running attempt
/// (`SchedulerCredential.current`), that attempt's delegation token.
struct BearerCredential: ClientMiddleware {
    let token: String?

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        if let token = SchedulerCredential.current ?? token { request.headerFields[.authorization] = "Bearer \(token)" }
        return try await next(request, body, baseURL)
    }
}

/// The credential of the work being done now, when it is not the client's own: a
/// worker sets a running attempt's delegation token here around the agent, so the
/// agent's calls to the scheduler (child workflows) act for that workflow.
public enum SchedulerCredential {
    @TaskLocal public static var current: String?
}
