import BatonContracts
import BatonPostgres
import Foundation
import Hummingbird
import Logging
import OpenAPIRuntime

/// Turns every error a route throws into the API's one error shape (`APIError`), so
/// that no request ends in a bare 500:
/// - a request the generated code cannot read (a body or parameter of the wrong
///   type) is a 400 that names the field;
/// - the router's own errors keep their status, except that a known path asked with a
///   method it does not serve is a 405 with `Allow`, not a 404;
/// - a database that is down or restarting is a 503 with `Retry-After`;
/// - anything else is a bug, logged with its error and answered with a 500 that
///   says where to look.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let database: DependencyHealth
    /// What is served where; without it every unknown route is a 404.
    var routes: RouteTable? = nil

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServerError where error.underlyingError is APIErrorResponse {
            throw error.underlyingError  // refused by a middleware of the generated server
        } catch let error as ServerError where error.operationInput == nil {
            throw APIErrorResponse(
                .badRequest, code: "invalid_request", message: Self.describeUnreadable(error.underlyingError))
        } catch let error as APIErrorResponse {
            throw error
        } catch let error as HTTPError {
            if error.status == .notFound, let allowed = routes?.methods(at: request.uri.path), !allowed.isEmpty,
                !allowed.contains(request.method)
            {
                let names = allowed.map(\.rawValue).joined(separator: ", ")
                throw APIErrorResponse(
                    .methodNotAllowed, code: "method_not_allowed",
                    message: "\(request.method) is not served at \(request.uri.path); it serves \(names)",
                    headers: [.allow: names])
            }
            throw APIErrorResponse(
                error.status, code: Self.code(of: error.status),
                message: error.body ?? Self.routerMessage(error.status, request), headers: error.headers)
        } catch {
            let cause = Self.cause(of: error)
            if let cause = cause as? PostgresError, cause.isTransient {
                database.failed(cause, logger: context.logger)
                throw APIErrorResponse(
                    .serviceUnavailable, code: "unavailable",
                    message: "the scheduler cannot reach its database right now; try again in a few seconds",
                    headers: [.retryAfter: "2"])
            }
            if let cause = cause as? APIErrorResponse { throw cause }
            context.logger.error(
                "request failed with an internal error",
                metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(cause)"])
            throw APIErrorResponse(
                .internalServerError, code: "internal",
                message:
                    "internal error while handling \(request.method) \(request.uri.path); the scheduler's log has the details"
            )
        }
    }

    /// The error a handler threw, out of the generated code's wrapper.
    private static func cause(of error: any Error) -> any Error {
        (error as? ServerError)?.underlyingError ?? error
    }

    private static func code(of status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "no_route"
        case .methodNotAllowed: "method_not_allowed"
        case .contentTooLarge: "content_too_large"
        case .unsupportedMediaType: "unsupported_media_type"
        case .badRequest: "invalid_request"
        case .serviceUnavailable: "unavailable"
        default: "http_\(status.code)"
        }
    }

    private static func routerMessage(_ status: HTTPResponse.Status, _ request: Request) -> String {
        status == .notFound
            ? "no route for \(request.method) \(request.uri.path); the API is under /v1/workflows (docs/openapi.yaml)"
            : "\(status.code) \(status.reasonPhrase) for \(request.method) \(request.uri.path)"
    }

    /// What the generated code could not read, in words that name the field.
    static func describeUnreadable(_ error: any Error) -> String {
        guard let error = error as? DecodingError else {
            let text = "\(error)"
            return text.localizedCaseInsensitiveContains("request body")
                ? "invalid request body: \(text)" : "invalid request: \(text)"
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "invalid request body: missing field '\(path(context.codingPath + [key]))'"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return "invalid request: field '\(path(context.codingPath))' should be \(type)"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty
                ? "invalid request: \(context.debugDescription)"
                : "invalid request: field '\(at)' is invalid: \(context.debugDescription)"
        @unknown default: return "invalid request: \(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.map(\.stringValue).joined(separator: ".")
    }
}
