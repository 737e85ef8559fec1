import BatonAPI
import HTTPTypes
import OpenAPIRuntime

/// Checks a stream's `Last-Event-ID` as it arrived. The generated code reads a header
/// value with a comma in it as a list and hands the operation none: a malformed id then
/// restarted the stream from its beginning instead of being refused (schemathesis).
struct ResumePointMiddleware: ServerMiddleware {
    static let streams: Set<String> = [Operations.StreamWorkflowEvents.id, Operations.StreamTenantEvents.id]
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, metadata: ServerRequestMetadata, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        if Self.streams.contains(operationID) {
            for value in request.headerFields[values: Self.lastEventID] where !Self.isEventID(value) {
                throw APIErrorResponse(
                    .badRequest, code: "invalid_request",
                    message: "Last-Event-ID must be the id of an event this stream sent (a whole number)")
            }
        }
        return try await next(request, body, metadata)
    }

    /// Empty (no id yet), or up to 32 digits.
    static func isEventID(_ value: String) -> Bool {
        value.count <= 32 && value.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }
}
