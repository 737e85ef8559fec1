/// Removes secrets from text that leaves the client (error messages, log lines): a
/// provider or a proxy that echoes the request's `Authorization` header in its error
/// body must not put the key into workflow events, the API and logs.
struct SecretRedactor: Sendable {
    static let placeholder = "<redacted>"
    /// Shorter "secrets" would blank out ordinary words of the message.
    static let shortestSecret = 4

    private let secrets: [String]

    init(secrets: [String?]) {
        self.secrets = secrets.compactMap { $0 }.filter { $0.count >= Self.shortestSecret }
            .sorted { $0.count > $1.count }
    }

    /// `text` without the configured secrets, bearer tokens and `sk-…`-shaped keys.
    func redact(_ text: String) -> String {
        var text = text
        for secret in secrets { text = text.replacingOccurrences(of: secret, with: Self.placeholder) }
        text = text.replacing(#/(?i)(bearer)\s+[A-Za-z0-9._~+/=\-]+/#) { "\($0.output.1) \(Self.placeholder)" }
        text = text.replacing(#/\bsk-[A-Za-z0-9_\-]{6,}/#, with: Self.placeholder)
        return text
    }

    func redact(_ error: LLMError) -> LLMError {
        var error = error
        error.message = redact(error.message)
        return error
    }
}
