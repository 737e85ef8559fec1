import BatonPostgres
import Foundation
import Hummingbird
import Logging

/// Turns every error a route throws into a JSON answer, so that no request ends in a
/// bare 500: an `HTTPError` passes as it is; a database that is down or restarting is
/// a 503 with `Retry-After` (the caller may try again); anything else is a bug, logged
/// with its error and answered with a 500 that says where to look.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let database: DependencyHealth

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError {
            // The router's own errors (no such route) carry no text: every error says something.
            guard error.body == nil else { throw error }
            let message =
                error.status == .notFound
                ? "no route for \(request.method) \(request.uri.path); the API is under /v1/workflows (see the README)"
                : "\(error.status.code) \(error.status.reasonPhrase)"
            throw HTTPError(error.status, headers: error.headers, message: message)
        } catch let error as PostgresError where error.isTransient {
            database.failed(error, logger: context.logger)
            throw HTTPError(
                .serviceUnavailable, headers: [.retryAfter: "2"],
                message: "the scheduler cannot reach its database right now; try again in a few seconds")
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            context.logger.error(
                "request failed with an internal error",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            throw HTTPError(
                .internalServerError,
                message:
                    "internal error while handling \(request.method) \(request.uri.path); the scheduler's log has the details"
            )
        }
    }
}
