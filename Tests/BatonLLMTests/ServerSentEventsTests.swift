import Foundation
import Testing

@testable import BatonLLM

@Suite struct ServerSentEventsTests {
    @Test func linesCutAcrossChunksAreJoined() throws {
        var events = ServerSentEvents(maxLineBytes: 1024)
        #expect(try events.feed(Data("data: {\"a\"".utf8)).isEmpty)
        #expect(try events.feed(Data(": 1}\r\n\ndata: [DO".utf8)) == [#"{"a": 1}"#])
        #expect(try events.feed(Data("NE]\n\n: a comment\nevent: x\n".utf8)) == ["[DONE]"])
    }

    @Test func aLineLongerThanTheLimitFailsWhetherOrNotItsNewlineCame() throws {
        var endless = ServerSentEvents(maxLineBytes: 16)
        #expect(throws: LLMError.self) {
            for _ in 0..<10 { _ = try endless.feed(Data("data: xxxx".utf8)) }
        }
        var long = ServerSentEvents(maxLineBytes: 16)
        #expect(throws: LLMError.self) { try long.feed(Data("data: 0123456789abcdef\n".utf8)) }
        var fits = ServerSentEvents(maxLineBytes: 16)
        #expect(try fits.feed(Data("data: 0123456789\n".utf8)) == ["0123456789"])
    }
}
