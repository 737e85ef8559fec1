import BatonHTTPClient
import BatonScriptedLLM
import Foundation
import Testing

/// The libcurl wrapper itself, against the scripted server used as a plain HTTP server.
@Suite struct HTTPClientTests {
    static func post(_ url: String, maxResponseBytes: Int? = nil) -> HTTPRequest {
        HTTPRequest(
            method: "POST", url: url + "/v1/chat/completions", headers: ["Content-Type": "application/json"],
            body: Data(#"{"model": "m", "messages": [{"role": "user", "content": "hello"}]}"#.utf8),
            timeout: .seconds(60), maxResponseBytes: maxResponseBytes)
    }

    @Test func cancellingTheTaskAbortsARequestAlreadySent() async throws {
        try await ScriptedLLM.withServer([.init(delayMs: 60_000, reply: .init(content: "far too late"))]) { url, llm in
            let clock = ContinuousClock()
            let started = clock.now
            let request = Task { try await HTTPClient.send(Self.post(url)) }
            while await llm.requests == 0 { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(300))
            request.cancel()
            let result = await request.result
            let elapsed = started.duration(to: clock.now)
            switch result {
            case .success: Issue.record("a cancelled request got its answer")
            case .failure(let error):
                #expect((error as? HTTPClientError)?.kind == .cancelled, "\(error)")
            }
            #expect(elapsed < .seconds(30), "cancel took \(elapsed), the reply comes after 60 s")
        }
    }

    @Test func aTaskCancelledBeforeSendingSendsNothing() async throws {
        try await ScriptedLLM.withServer([.init(reply: .init(content: "hi"))]) { url, llm in
            let request = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await HTTPClient.send(Self.post(url))
            }
            let result = await request.result
            #expect(throws: HTTPClientError.self) { try result.get() }
            #expect(await llm.requests == 0)
        }
    }

    @Test func aBodyLargerThanTheLimitIsAbandonedWithAnErrorNamingIt() async throws {
        try await ScriptedLLM.withServer([.init(reply: .init(content: "word "), contentRepeat: 50_000)]) { url, _ in
            do {
                _ = try await HTTPClient.send(Self.post(url, maxResponseBytes: 64 * 1024))
                Issue.record("a 250 kB body passed a 64 KiB limit")
            } catch let error as HTTPClientError {
                #expect(error.kind == .responseTooLarge(limit: 64 * 1024))
                #expect(error.reason.contains("65536 bytes"))
            }
            // Within the limit, the same body arrives whole.
            let response = try await HTTPClient.send(Self.post(url, maxResponseBytes: 1024 * 1024))
            #expect(response.status == 200)
            #expect(response.body.count > 250_000)
        }
    }

    @Test func aStreamLargerThanTheLimitFailsInsteadOfGrowingWithoutEnd() async throws {
        try await ScriptedLLM.withServer([
            .init(reply: .init(content: "word "), contentRepeat: 5_000, eventIntervalMs: 0)
        ]) { url, _ in
            var request = Self.post(url, maxResponseBytes: 32 * 1024)
            request.body = Data(#"{"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}"#.utf8)
            var received = 0
            do {
                for try await part in HTTPClient.stream(request) {
                    if case .chunk(let data) = part { received += data.count }
                }
                Issue.record("an unbounded stream was read to its end")
            } catch let error as HTTPClientError {
                #expect(error.kind == .responseTooLarge(limit: 32 * 1024))
            }
            #expect(received <= 32 * 1024)
        }
    }

    @Test func cancellingTheConsumerOfAStreamAbortsTheTransfer() async throws {
        try await ScriptedLLM.withServer([
            .init(reply: .init(content: "one two three four five"), eventIntervalMs: 60_000)
        ]) { url, _ in
            var request = Self.post(url)
            request.body = Data(#"{"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}]}"#.utf8)
            let clock = ContinuousClock()
            let started = clock.now
            let consumer = Task {
                var chunks = 0
                for try await part in HTTPClient.stream(request) {
                    if case .chunk = part { chunks += 1 }
                }
                return chunks
            }
            try await Task.sleep(for: .milliseconds(500))
            consumer.cancel()
            _ = await consumer.result
            #expect(started.duration(to: clock.now) < .seconds(30), "the next event comes after 60 s")
        }
    }

    @Test func hugeDurationsDoNotOverflowLibcurlsMilliseconds() async throws {
        try await ScriptedLLM.withServer([.init(reply: .init(content: "hi"))]) { url, _ in
            var request = Self.post(url)
            request.timeout = .seconds(Int64.max)
            request.connectTimeout = .seconds(Int64.max)
            let response = try await HTTPClient.send(request)
            #expect(response.status == 200)
        }
    }
}
