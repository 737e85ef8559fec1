import Foundation

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

    /// The first `limit` characters of `data` as text, redacted before it is cut: a secret
    /// the cut would split could no longer be recognised afterwards.
    func excerpt(_ data: Data, limit: Int) -> String {
        String(redact(String(decoding: data.prefix(65_536), as: UTF8.self)).prefix(limit))
    }

    func redact(_ error: LLMError) -> LLMError {
        var error = error
        error.message = redact(error.message)
        return error
    }
}
