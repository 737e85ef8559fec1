import BatonScriptedLLM
import Foundation
import Testing

@testable import BatonLLM

/// Found by fuzzing the stream with a server that echoes the API key: an error
/// message quotes the first 200 characters of a bad event, and the key was redacted
/// only after that cut — a key straddling the cut left its first characters in the
/// message, where the redactor no longer recognised it.
@Suite struct StreamSecretFuzzTests {
    /// Not `sk-…` or bearer-shaped: only the configured secret itself can be redacted.
    static let key = "mistral0123456789abcdefghijKLMNOPQRSTUV"

    @Test(arguments: [150, 170, 185, 190, 195, 199])
    func aKeyCutByTheExcerptLeavesNoPieceInTheError(padding: Int) async throws {
        let body = "data: {" + String(repeating: "x", count: padding) + Self.key + "\n\n"
        try await ScriptedLLM.withServer([LLMScript.Rule(rawBody: body)]) { url, _ in
            let client = ChatCompletionClientTests.client(url, timeout: .seconds(60), retries: 0, key: Self.key)
            let (_, result) = await ChatStreamingTests.collect(client, ChatRequest(messages: [.user("hi")]))
            guard case .failure(let error as LLMError) = result else {
                Issue.record("a stream of a bad event did not fail: \(result)")
                return
            }
            #expect(error.kind == .malformedResponse)
            #expect(!error.message.contains(Self.key.prefix(6)), "the error shows part of the key: \(error.message)")
        }
    }

    /// The same cut before redaction in the non-streamed answer's excerpt
    /// (`ChatCompletionClient`, "not a chat completion: <first 200 bytes>").
    @Test func aKeyCutByTheCompletionExcerptLeavesNoPieceInTheError() async throws {
        let body = "{" + String(repeating: "x", count: 185) + Self.key
        try await ScriptedLLM.withServer([LLMScript.Rule(rawBody: body)]) { url, _ in
            let client = ChatCompletionClientTests.client(url, timeout: .seconds(60), retries: 0, key: Self.key)
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("hi")]))
                Issue.record("a body that is not a completion was taken")
            } catch let error as LLMError {
                #expect(
                    !error.message.contains(Self.key.prefix(6)), "the error shows part of the key: \(error.message)")
            }
        }
    }
}
