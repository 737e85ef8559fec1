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
        let escaped = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
        return try await send(HTTPRequest(url: "\(baseURL)/v1/workflows/\(escaped)"))
    }

    private func send(_ request: HTTPRequest) async throws -> WorkflowView {
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
        return try decoder.decode(WorkflowView.self, from: response.body)
    }
}
