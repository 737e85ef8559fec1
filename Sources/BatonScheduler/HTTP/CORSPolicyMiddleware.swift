import HTTPTypes
import Hummingbird

/// Lets the pages of the configured origins (`cors_origins:`, exact
/// `scheme://host[:port]`) call the API from a browser; every other origin gets no
/// CORS header, so the browser keeps its answers from it. Hummingbird's
/// `CORSMiddleware` does the protocol (preflights, headers); this decides whom it serves
/// (its own origin list is a variadic literal, which configuration cannot fill).
/// Credentials are never allowed: the API takes bearer tokens, not cookies.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>
    private let cors = CORSMiddleware<Context>(
        allowOrigin: .originBased, allowHeaders: [.accept, .authorization, .contentType],
        allowMethods: [.get, .post, .delete, .options], allowCredentials: false, maxAge: .seconds(600))

    init(origins: Set<String>) {
        self.origins = origins
    }

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains(origin) else {
            return try await next(request, context)
        }
        return try await cors.handle(request, context: context, next: next)
    }

    /// Nil when `origin` is usable, else what is wrong with it.
    static func problem(_ origin: String) -> String? {
        let parts = origin.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "https:" || parts[0] == "http:", parts[1].isEmpty, !parts[2].isEmpty,
            origin == origin.lowercased()
        else {
            return
                "cors_origins: '\(origin)' must be an origin as browsers send it: scheme://host[:port], lower case, no path"
        }
        return nil
    }
}
