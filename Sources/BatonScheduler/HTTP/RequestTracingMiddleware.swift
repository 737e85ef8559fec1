import Hummingbird

/// A server span per API request (Hummingbird's `TracingMiddleware`, which continues a
/// caller's `traceparent`), but none for the probes: a load balancer's and Kubernetes'
/// `/healthz` and `/readyz` every few seconds would bury the traces worth reading.
struct RequestTracingMiddleware<Context: RequestContext>: RouterMiddleware {
    static var untraced: Set<String> { ["/healthz", "/readyz"] }

    private let tracing = TracingMiddleware<Context>()

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if Self.untraced.contains(request.uri.path) { return try await next(request, context) }
        return try await tracing.handle(request, context: context, next: next)
    }
}
