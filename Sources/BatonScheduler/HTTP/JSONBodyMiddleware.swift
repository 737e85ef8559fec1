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
/// An artifact's upload (`PUT /v1/workflows/{id}/artifacts/{name}`) is the one body
/// that is not JSON: it is bounded by `max_artifact_bytes` instead, and its type is
/// checked by the operation. (A cross-origin page cannot send a PUT without CORS
/// allowing it first.)
/// The body, read once here, goes on to the operation from memory with its length
/// stated, so that an empty one reaches an operation as no body at all
/// (`EmptyBodyMiddleware`).
struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxRequestBytes: Int
    var maxArtifactBytes: Int = WorkflowLimits().maxArtifactBytes

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post || request.method == .put || request.method == .patch else {
            return try await next(request, context)
        }
        var request = request
        let artifact = request.method == .put && Self.isArtifactPath(request.uri.path)
        let limit = artifact ? maxArtifactBytes : maxRequestBytes
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch {
            throw APIErrorResponse(
                .contentTooLarge, code: artifact ? "artifact_too_large" : "content_too_large",
                message: artifact
                    ? "the artifact exceeds \(limit) bytes (the scheduler's limits.max_artifact_bytes)"
                    : "request body exceeds \(limit) bytes (the scheduler's max_request_bytes)")
        }
        var head = request.head
        head.headerFields[.contentLength] = String(buffer.readableBytes)
        request = Request(head: head, body: .init(buffer: buffer))
        if artifact {
            let type = request.headers[.contentType].map(Self.mediaType)
            guard let type, ArtifactView.contentTypes.contains(type) else {
                throw APIErrorResponse(
                    .unsupportedMediaType, code: "unsupported_media_type",
                    message:
                        "an artifact is one of \(ArtifactView.contentTypes.joined(separator: ", ")), sent with its Content-Type (got \(type.map { "'\($0)'" } ?? "none"))"
                )
            }
            return try await next(request, context)
        }
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

    /// `/v1/workflows/<id>/artifacts/<name>`.
    static func isArtifactPath(_ path: String) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0].isEmpty && parts[1] == "v1" && parts[2] == "workflows"
            && parts[4] == "artifacts" && !parts[3].isEmpty && !parts[5].isEmpty
    }

    static func isJSON(_ contentType: String?) -> Bool {
        contentType.map(mediaType) == "application/json"
    }

    /// `type/subtype` of a Content-Type, lowercased, without its parameters.
    static func mediaType(_ contentType: String) -> String {
        String(contentType.split(separator: ";", maxSplits: 1).first ?? "").trimmingCharacters(in: .whitespaces)
            .lowercased()
    }
}
