import BatonContracts
import Foundation
import Hummingbird

/// Admits a request body to the API only as bounded, well-formed JSON:
/// - a body that is not `application/json` is a 415, so that a cross-origin page
///   cannot reach the API with a "simple" request (a `text/plain` form or a
///   `no-cors` fetch, which a browser sends without asking the server first);
/// - a body larger than `max_request_bytes` is a 413;
/// - a body nested too deep, or that is not JSON at all, is a 400 before any
///   decoder sees it.
/// The body, read once here, goes on to the operation from memory with its length
/// stated, so that an empty one reaches an operation as no body at all
/// (`EmptyBodyMiddleware`).
struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxRequestBytes: Int

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxRequestBytes)
        } catch {
            throw APIErrorResponse(
                .contentTooLarge, code: "content_too_large",
                message: "request body exceeds \(maxRequestBytes) bytes (the scheduler's max_request_bytes)")
        }
        var head = request.head
        head.headerFields[.contentLength] = String(buffer.readableBytes)
        request = Request(head: head, body: .init(buffer: buffer))
        guard buffer.readableBytes > 0 else { return try await next(request, context) }
        guard Self.isJSON(request.headers[.contentType]) else {
            throw APIErrorResponse(
                .unsupportedMediaType, code: "unsupported_media_type",
                message:
                    "request bodies must be JSON sent with 'Content-Type: application/json' (got \(request.headers[.contentType].map { "'\($0)'" } ?? "none"))"
            )
        }
        do {
            _ = try JSONValue.parse(Data(buffer: buffer), limits: .requestBody)
        } catch {
            throw APIErrorResponse(
                .badRequest, code: "invalid_body", message: "invalid request body: not valid JSON: \(error)")
        }
        return try await next(request, context)
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let type = contentType.split(separator: ";", maxSplits: 1)[0].trimmingCharacters(in: .whitespaces)
        return type.caseInsensitiveCompare("application/json") == .orderedSame
    }
}
