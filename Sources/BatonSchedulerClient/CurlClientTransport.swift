import BatonHTTPClient
import BatonTracing
import Foundation
import HTTPTypes
import OpenAPIRuntime
import Synchronization

/// The generated API client's transport over the project's libcurl wrapper, so that
/// the CLI and workers need no second HTTP stack.
struct CurlClientTransport: ClientTransport {
    /// An API answer is a workflow or a page of them; anything near this is not one.
    static let maximumResponseBytes = 64 << 20
    /// Operations whose answer is a stream of events, handed on as it arrives.
    static let streamingOperations: Set<String> = ["streamWorkflowEvents", "streamTenantEvents"]
    /// A stream stays open as long as its workflow runs, but sends something every
    /// 15 s: silence for this long means the connection is dead.
    static let streamIdleTimeout: Duration = .seconds(60)
    let timeout: Duration

    func send(
        _ request: HTTPTypes.HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String
    ) async throws -> (HTTPTypes.HTTPResponse, HTTPBody?) {
        var data: Data?
        if let body { data = try await Data(collecting: body, upTo: Self.maximumResponseBytes) }
        var base = baseURL.absoluteString
        if base.hasSuffix("/") { base.removeLast() }
        var headers: [String: String] = [:]
        for field in request.headerFields {
            headers[field.name.canonicalName] =
                headers[field.name.canonicalName].map { "\($0), \(field.value)" } ?? field.value
        }
        // A child workflow submitted by an agent joins the parent's attempt's trace.
        headers.merge(TraceHeaders.current()) { own, _ in own }
        let outgoing = BatonHTTPClient.HTTPRequest(
            method: request.method.rawValue, url: base + (request.path ?? ""), headers: headers, body: data,
            timeout: timeout, maxResponseBytes: Self.maximumResponseBytes)
        if Self.streamingOperations.contains(operationID) { return try await stream(outgoing) }
        let response = try await HTTPClient.send(outgoing)
        return (Self.head(response.status, response.headers), HTTPBody(response.body))
    }

    /// Answers with the head as soon as it arrives, and a body that yields the bytes as
    /// they come; dropping the body, or cancelling its reader, ends the transfer.
    private func stream(
        _ request: BatonHTTPClient.HTTPRequest
    ) async throws -> (HTTPTypes.HTTPResponse, HTTPBody?) {
        var request = request
        request.timeout = .seconds(30 * 86_400)
        request.maxResponseBytes = nil
        let parts = HTTPClient.stream(request, idleTimeout: Self.streamIdleTimeout)
        let (body, bytes) = AsyncThrowingStream<ArraySlice<UInt8>, any Error>.makeStream()
        let head = HeadSlot()
        let forwarding = Task {
            do {
                for try await part in parts {
                    switch part {
                    case .head(let status, let headers): head.fill(.success((status, headers)))
                    case .chunk(let chunk): bytes.yield(ArraySlice(chunk))
                    }
                }
                head.fill(.failure(HTTPClientError(url: request.url, reason: "the stream ended before its head")))
                bytes.finish()
            } catch {
                head.fill(.failure(error))
                bytes.finish(throwing: error)
            }
        }
        bytes.onTermination = { _ in forwarding.cancel() }
        let (status, headers) = try await withTaskCancellationHandler {
            try await head.value
        } onCancel: {
            forwarding.cancel()
        }
        return (Self.head(status, headers), HTTPBody(body, length: .unknown, iterationBehavior: .single))
    }

    private static func head(_ status: Int, _ headers: [String: String]) -> HTTPTypes.HTTPResponse {
        var fields = HTTPFields()
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return HTTPTypes.HTTPResponse(status: .init(code: status), headerFields: fields)
    }
}

/// A stream's head, filled once by the transfer and awaited by the caller.
private final class HeadSlot: Sendable {
    typealias Head = (status: Int, headers: [String: String])
    private let state = Mutex<(result: Result<Head, any Error>?, waiter: CheckedContinuation<Head, any Error>?)>(
        (nil, nil))

    func fill(_ result: Result<Head, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<Head, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: Head {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let ready = state.withLock { state -> Result<Head, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        }
    }
}
