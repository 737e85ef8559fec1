import HTTPTypes
import OpenAPIRuntime

/// Hands an operation an empty body as no body: the Hummingbird transport always
/// passes one, and the generated code would read an empty optional body (a cancel
/// without a reason) as broken JSON.
struct EmptyBodyMiddleware: ServerMiddleware {
    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        try await next(request, body?.length == .known(0) ? nil : body, metadata)
    }
}
