import BatonLLM
import BatonScriptedLLM
import Foundation
import Synchronization
import Testing

@testable import BatonLLM

/// A provider's `Retry-After` is honoured up to a cap, logged, and never trusted blindly.
@Suite struct RetryAfterTests {
    typealias Rule = LLMScript.Rule

    /// The log records a client hands out.
    final class LogRecords: Sendable {
        private let records = Mutex<[LLMLogRecord]>([])
        var handler: LLMLogHandler { { record in self.records.withLock { $0.append(record) } } }
        var all: [LLMLogRecord] { records.withLock { $0 } }
    }

    @Test func aWaitLongerThanTheCapFailsRetryablyAndSaysSoInsteadOfSleeping() async throws {
        try await ScriptedLLM.withServer([Rule(status: 503, retryAfter: 600)]) { url, llm in
            let log = LogRecords()
            let client = ChatCompletionClient(
                provider: LLMProvider(
                    baseURL: url, model: "scripted", maxRetries: 4, name: "primary", maxRetryAfter: .seconds(60)),
                log: log.handler)
            do {
                _ = try await client.complete(ChatRequest(messages: [.user("x")]))
                Issue.record("a 503 succeeded")
            } catch let error as LLMError {
                #expect(error.kind == .serverError)
                #expect(error.isRetryable)
                #expect(error.message.contains("asks to wait 600.0 s"))
                #expect(error.message.contains("max_retry_after_seconds (60.0 s)"))
            }
            #expect(await llm.requests == 1)  // no second request after a 600 s wait
            let warning = try #require(log.all.first { $0.level == .warning })
            #expect(warning.metadata["provider"] == "primary")
            #expect(warning.message.contains("600.0 s"))
        }
    }

    @Test func aWaitWithinTheCapIsHonouredAndLogged() async throws {
        try await ScriptedLLM.withServer([
            Rule(times: 1, status: 429, retryAfter: 0.2), Rule(reply: .init(content: "fine")),
        ]) { url, _ in
            let log = LogRecords()
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", initialBackoff: .milliseconds(1)),
                log: log.handler)
            let response = try await client.complete(ChatRequest(messages: [.user("x")]))
            #expect(response.attempts == 2)
            let notice = try #require(log.all.first)
            #expect(notice.level == .notice)
            #expect(notice.message.contains("retry 1 of 4"))
            #expect(notice.message.contains("Retry-After"))
            #expect(notice.metadata["kind"] == "llm_rate_limited")
        }
    }

    @Test(arguments: ["1e400", "inf", "-inf", "nan", "1e300", "-5", "soon", "Wed, 21 Oct 2015 07:28:00 GMT"])
    func absurdRetryAfterValuesDoNotTrap(_ header: String) async throws {
        try await ScriptedLLM.withServer([
            Rule(times: 1, status: 503, retryAfterHeader: header), Rule(reply: .init(content: "fine")),
        ]) { url, _ in
            let client = ChatCompletionClient(
                provider: LLMProvider(baseURL: url, model: "scripted", maxRetries: 1, initialBackoff: .milliseconds(1)))
            do {
                #expect(try await client.complete(ChatRequest(messages: [.user("x")])).text == "fine")
            } catch let error as LLMError {
                // Huge values: refused as longer than the cap, not slept on, not trapped on.
                #expect(error.message.contains("max_retry_after_seconds"), "\(error)")
            } catch {
                Issue.record("not a model error: \(error)")
            }
        }
    }

    @Test func parsingReadsSecondsAndDatesAndSaturates() {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(RetryAfter.parse("30", now: now) == .seconds(30))
        #expect(RetryAfter.parse(" 1.5 ", now: now) == .milliseconds(1500))
        #expect(RetryAfter.parse("-3", now: now) == .zero)
        #expect(RetryAfter.parse("1e400", now: now) == .seconds(RetryAfter.longest))
        #expect(RetryAfter.parse("nan", now: now) == nil)
        #expect(RetryAfter.parse("later", now: now) == nil)
        #expect(RetryAfter.parse(nil, now: now) == nil)
        // 2023-11-14 22:13:20 GMT is `now`; two minutes later:
        #expect(RetryAfter.parse("Tue, 14 Nov 2023 22:15:20 GMT", now: now) == .seconds(120))
        #expect(RetryAfter.parse("Wed, 21 Oct 2015 07:28:00 GMT", now: now) == .zero)
    }
}
