import BatonContracts
import Foundation
import Hummingbird

/// An error answered outside the generated operations (no such route, a body that is
/// too large or not JSON, a database outage, a bug), in the API's one error shape.
struct APIErrorResponse: HTTPResponseError {
    let status: HTTPResponse.Status
    let error: APIError
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, code: String, message: String, headers: HTTPFields = [:]) {
        self.status = status
        error = APIError(code: code, message: message)
        self.headers = headers
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var headers = headers
        headers[.contentType] = "application/json; charset=utf-8"
        return Response(
            status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(error))))
    }
}
