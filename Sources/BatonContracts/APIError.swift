/// The body of every error the scheduler's API answers (docs/openapi.yaml, `Error`).
public struct APIError: Sendable, Hashable, Codable, Error {
    /// Stable, for programs (`not_found`, `unknown_agent`, …).
    public var code: String
    /// What went wrong and what to do, for people.
    public var message: String
    /// More about the error, when there is more.
    public var details: JSONValue?

    public init(code: String, message: String, details: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }
}
