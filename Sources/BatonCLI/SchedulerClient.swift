import ArgumentParser
import BatonContracts
import BatonHTTPClient
import Foundation

/// The scheduler's HTTP API as the CLI uses it.
struct SchedulerClient {
    let baseURL: String

    func submit(_ request: SubmitWorkflowRequest) async throws -> WorkflowView {
        let body = try JSONEncoder().encode(request)
        return try await send(
            HTTPRequest(
                method: "POST", url: "\(baseURL)/v1/workflows", headers: ["Content-Type": "application/json"],
                body: body))
    }

    func workflow(_ id: String) async throws -> WorkflowView {
        try await send(HTTPRequest(url: "\(baseURL)/v1/workflows/\(Self.escape(id))"))
    }

    func list(status: String?, limit: Int) async throws -> [WorkflowView] {
        let query = "limit=\(limit)" + (status.map { "&status=\($0)" } ?? "")
        return try await send(HTTPRequest(url: "\(baseURL)/v1/workflows?\(query)"))
    }

    func cancel(_ id: String, reason: String?) async throws -> WorkflowView {
        try await send(
            HTTPRequest(
                method: "POST", url: "\(baseURL)/v1/workflows/\(Self.escape(id))/cancel",
                headers: ["Content-Type": "application/json"],
                body: try JSONEncoder().encode(CancelWorkflowRequest(reason: reason))))
    }

    func answer(_ id: String, _ answer: JSONValue) async throws -> WorkflowView {
        try await send(
            HTTPRequest(
                method: "POST", url: "\(baseURL)/v1/workflows/\(Self.escape(id))/input",
                headers: ["Content-Type": "application/json"],
                body: try JSONEncoder().encode(HumanInputRequest(answer: answer))))
    }

    private static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
    }

    private func send<Body: Decodable>(_ request: HTTPRequest) async throws -> Body {
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send(request)
        } catch {
            throw ValidationError("\(error) (is the scheduler running? start it with 'make run-scheduler')")
        }
        guard (200..<300).contains(response.status) else {
            let message = String(decoding: response.body, as: UTF8.self)
            throw ValidationError("the scheduler answered \(response.status): \(message)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(Body.self, from: response.body)
    }
}
