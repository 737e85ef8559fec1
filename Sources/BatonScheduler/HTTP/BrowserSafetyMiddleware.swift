import HTTPTypes
import Hummingbird

/// What keeps a browser from being turned against the scheduler:
/// - a request whose `Host` is not one the scheduler answers to is refused (421), so a
///   page that rebinds its own name to the scheduler's address (DNS rebinding) reads
///   nothing, not even `/metrics` or the page;
/// - every answer, errors included (this middleware is the outermost), says it may not be framed, sniffed into another type, or followed by
///   a `Referer` that carries a workflow's id elsewhere.
struct BrowserSafetyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Host names (without port) that requests may name; nil accepts any.
    let allowedHosts: Set<String>?

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            try admit(request)
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[BrowserSafety.referrerPolicy] = "no-referrer"
        response.headers[BrowserSafety.frameOptions] = "DENY"
        return response
    }

    private func admit(_ request: Request) throws {
        guard let allowedHosts else { return }
        let host = BrowserSafety.hostName(request.head.authority ?? "")
        guard allowedHosts.contains(host) else {
            throw APIErrorResponse(
                .misdirectedRequest, code: "host_not_allowed",
                message:
                    "this scheduler does not answer to the host '\(host)'; add it to allowed_hosts in its configuration if it should"
            )
        }
    }
}

enum BrowserSafety {
    /// `example.org:8080` → `example.org`; `[::1]:8080` → `[::1]`. Lower case.
    static func hostName(_ authority: String) -> String {
        let lowered = authority.lowercased()
        if lowered.hasPrefix("["), let end = lowered.firstIndex(of: "]") { return String(lowered[...end]) }
        return String(lowered.split(separator: ":", maxSplits: 1).first ?? "")
    }

    /// The names a scheduler bound to `httpHost` answers to when none are configured:
    /// its loopback names when it listens on loopback only, else any.
    static func defaultHosts(httpHost: String) -> Set<String>? {
        let loopback: Set<String> = ["localhost", "127.0.0.1", "[::1]"]
        return loopback.contains(httpHost.lowercased()) || httpHost == "::1" ? loopback : nil
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
}
