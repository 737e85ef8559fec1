import BatonLLM
import BatonScriptedLLM
import Testing

@testable import BatonLLM

/// A provider or proxy that echoes the key must not put it into errors or logs.
@Suite struct SecretRedactorTests {
    @Test func anErrorBodyEchoingTheKeyIsRedactedInTheErrorAndTheLog() async throws {
        let key = "test-key-do-not-print-42"
        try await ScriptedLLM.withServer([
            .init(times: 1, status: 503, echoAuthorization: true), .init(status: 401, echoAuthorization: true),
        ]) { url, _ in
            let log = RetryAfterTests.LogRecords()
            let client = ChatCompletionClient(
                provider: LLMProvider(
                    baseURL: url, model: "scripted", apiKey: key, maxRetries: 1, initialBackoff: .milliseconds(1)),
                log: log.handler)
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("x")]))
                Issue.record("a 401 succeeded")
            } catch let error as LLMError {
                #expect(error.kind == .unauthorized)
                #expect(error.message.contains("you sent Authorization: Bearer <redacted>"), "\(error)")
                #expect(!error.description.contains(key))
                #expect(!error.description.contains("do-not-print"))
            }
            let logged = log.all.map(\.message).joined(separator: "\n")
            #expect(logged.contains("<redacted>"))  // the 503's retry was logged, with its echo
            #expect(!logged.contains(key))
        }
    }

    @Test func aStreamedCallsErrorIsRedactedToo() async throws {
        let key = "sk-proj-abcdefghijklmnop"
        try await ScriptedLLM.withServer([.init(status: 400, echoAuthorization: true)]) { url, _ in
            let client = ChatCompletionClient(provider: LLMProvider(baseURL: url, model: "scripted", apiKey: key))
            do {
                for try await _ in client.stream(ChatRequest(messages: [.user("x")])) {}
                Issue.record("a 400 streamed an answer")
            } catch let error as LLMError {
                #expect(error.kind == .badRequest)
                #expect(!error.description.contains("abcdefghijklmnop"), "\(error)")
            }
        }
    }

    @Test func tokensShapedLikeKeysAreRedactedEvenWhenNotConfigured() {
        let redactor = SecretRedactor(secrets: ["my-own-secret", nil, "ab"])
        #expect(redactor.redact("key my-own-secret rejected") == "key <redacted> rejected")
        #expect(redactor.redact("header was bearer eyJhbGciOi.J9x-_") == "header was bearer <redacted>")
        #expect(redactor.redact("Authorization: Bearer abc123==") == "Authorization: Bearer <redacted>")
        #expect(redactor.redact("invalid key sk-live-1234567890abc.") == "invalid key <redacted>.")
        #expect(redactor.redact("the task-12345678 failed") == "the task-12345678 failed")
        #expect(redactor.redact("about 2 tabs") == "about 2 tabs")  // a 2-character "secret" is ignored
    }
}
