import BatonContracts
import BatonHTTPClient
import Foundation

/// The scheduler's HTTP API (`/v1/workflows`) from the outside: the CLI, workers that
/// delegate child workflows, and the chat assistant's tools use it.
public struct SchedulerClient: Sendable {
    public let baseURL: String

    public init(baseURL: String) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    public func submit(_ request: SubmitWorkflowRequest) async throws(SchedulerClientError) -> WorkflowView {
        try await post("/v1/workflows", request)
    }

    public func workflow(_ id: String) async throws(SchedulerClientError) -> WorkflowView {
        try await send(HTTPRequest(url: "\(baseURL)/v1/workflows/\(Self.escape(id))"))
    }

    public func list(
        status: String?, parent: String? = nil, limit: Int
    ) async throws(SchedulerClientError) -> [WorkflowView] {
        var query = "limit=\(limit)"
        if let status { query += "&status=\(status)" }
        if let parent { query += "&parent=\(Self.escape(parent))" }
        return try await send(HTTPRequest(url: "\(baseURL)/v1/workflows?\(query)"))
    }

    public func history(
        _ id: String, after: Int = 0, limit: Int = 200
    ) async throws(SchedulerClientError) -> [WorkflowHistoryEntry] {
        try await send(
            HTTPRequest(url: "\(baseURL)/v1/workflows/\(Self.escape(id))/history?after=\(after)&limit=\(limit)"))
    }

    public func cancel(_ id: String, reason: String?) async throws(SchedulerClientError) -> WorkflowView {
        try await post("/v1/workflows/\(Self.escape(id))/cancel", CancelWorkflowRequest(reason: reason))
    }

    public func answer(_ id: String, _ answer: JSONValue) async throws(SchedulerClientError) -> WorkflowView {
        try await post("/v1/workflows/\(Self.escape(id))/input", HumanInputRequest(answer: answer))
    }

    private func post<Body: Encodable>(
        _ path: String, _ body: Body
    ) async throws(SchedulerClientError) -> WorkflowView {
        let data: Data
        do {
            data = try JSONEncoder().encode(body)
        } catch {
            throw SchedulerClientError(message: "the request cannot be encoded: \(error)", status: nil)
        }
        return try await send(
            HTTPRequest(method: "POST", url: baseURL + path, headers: ["Content-Type": "application/json"], body: data))
    }

    private static func escape(_ id: String) -> String {
        id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-_.:"))) ?? id
    }

    private func send<Body: Decodable>(_ request: HTTPRequest) async throws(SchedulerClientError) -> Body {
        let response: HTTPResponse
        do {
            response = try await HTTPClient.send(request)
        } catch {
            throw SchedulerClientError(
                message: "\(error) (is the scheduler running at \(baseURL)? start it with 'make run-scheduler')",
                status: nil)
        }
        guard (200..<300).contains(response.status) else {
            let text = String(decoding: response.body, as: UTF8.self)
            let message = (try? JSONDecoder().decode(JSONValue.self, from: response.body))?["error"]?["message"]?
                .stringValue
            throw SchedulerClientError(
                message: "the scheduler answered \(response.status): \(message ?? text)", status: response.status)
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(Body.self, from: response.body)
        } catch {
            throw SchedulerClientError(
                message: "the scheduler's answer is not what this client reads: \(error)", status: nil)
        }
    }
}

/// A failed call to the scheduler's API, with the scheduler's own message.
public struct SchedulerClientError: Error, CustomStringConvertible, Sendable {
    public var message: String
    /// The HTTP status, when the scheduler answered.
    public var status: Int?

    public var description: String { message }
}
