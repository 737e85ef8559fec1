import BatonHTTPClient
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// The generated API client's transport over the project's libcurl wrapper, so that
/// the CLI and workers need no second HTTP stack.
struct CurlClientTransport: ClientTransport {
    /// An API answer is a workflow or a page of them; anything near this is not one.
    static let maximumResponseBytes = 64 << 20
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
        let response = try await HTTPClient.send(
            BatonHTTPClient.HTTPRequest(
                method: request.method.rawValue, url: base + (request.path ?? ""), headers: headers, body: data,
                timeout: timeout, maxResponseBytes: Self.maximumResponseBytes))
        var fields = HTTPFields()
        for (name, value) in response.headers {
            if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
        }
        return (
            HTTPTypes.HTTPResponse(status: .init(code: response.status), headerFields: fields), HTTPBody(response.body)
        )
    }
}
