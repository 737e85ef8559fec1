import BatonContracts
import Foundation
import Testing

@Suite struct JSONParserTests {
    func parse(_ text: String, limits: JSONLimits = .requestBody) throws(JSONParseError) -> JSONValue {
        try JSONValue.parse(text, limits: limits)
    }

    func reason(_ text: String, limits: JSONLimits = .requestBody) -> JSONParseError.Reason? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func readsWhatFoundationReads() throws {
        let text = #"{"a": [1, -2.5, 3e2, true, false, null, "x\"y\\z\n\u00e9\ud83d\ude00"], "b": {}, "c": [], "d": 0}"#
        let expected = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(try parse(text) == expected)
        #expect(try parse(text).compactText == expected.compactText)
    }

    @Test func roundTripsThroughTheWriter() throws {
        let value: JSONValue = [
            "text": "tab\t quote\" backslash\\ control\u{1} é 😀", "numbers": [0, -1, 1.5, 1e20, 9_007_199_254_740_992],
            "nested": [["k": nil]], "flag": true,
        ]
        #expect(try parse(value.compactText) == value)
    }

    /// Issue #10 (6): nesting is refused past the limit, in time linear in the text
    /// (Foundation's decoder took 27 s of CPU for a 10 KB body of nested arrays).
    @Test func refusesNestingDeeperThanTheLimit() throws {
        #expect(try parse(String(repeating: "[", count: 64) + String(repeating: "]", count: 64)) != .null)
        #expect(reason(String(repeating: "[", count: 65) + String(repeating: "]", count: 65)) == .tooDeep(limit: 64))
        let deep = String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000)
        #expect(reason(deep) == .tooDeep(limit: 64))
        #expect(reason(String(repeating: #"{"a":"#, count: 70) + "1" + String(repeating: "}", count: 70)) != nil)
    }

    /// Issue #10 (7): NUL cannot be stored by PostgreSQL; it is refused, not truncated.
    @Test func refusesNUL() {
        #expect(reason(#"{"a": "x\u0000y"}"#) == .nulCharacter)
        #expect(reason("\"x\u{0}y\"") == .controlCharacterInString)
    }

    /// Issue #10 (10): integers a double cannot hold exactly are refused, not rounded.
    @Test func refusesIntegersBeyondTwoToThe53() throws {
        #expect(try parse("9007199254740992") == .number(9_007_199_254_740_992))
        #expect(try parse("-9007199254740992") == .number(-9_007_199_254_740_992))
        #expect(reason("9007199254740993") == .integerNotExact)
        #expect(reason("123456789012345678901234567890") == .integerNotExact)
        #expect(reason("-9223372036854775808") == .integerNotExact)
        #expect(try parse("1e20") == .number(1e20))  // not an integer literal: a double, as written
        #expect(reason("1e999") == .numberOutOfRange)
    }

    @Test func refusesWhatIsNotJSON() {
        for text in [
            "", "[", "]", "{", "{\"a\"}", "{\"a\":}", "[1,]", "[1 2]", "01", "1.", "-", "+1", ".5", "1e", "nul", "tru",
            "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\ud800\"", "\"\\udc00\"", "NaN", "Infinity", "[1] x", "{'a': 1}",
        ] {
            #expect(reason(text) != nil, "\(text) should be refused")
        }
        let invalidUTF8 = Data([0x22, 0xFF, 0xFE, 0x22])
        #expect(throws: JSONParseError.self) { try JSONValue.parse(invalidUTF8, limits: .requestBody) }
    }

    @Test func errorsSayWhatAndWhere() {
        do {
            _ = try parse(#"{"a": x}"#)
            Issue.record("should have failed")
        } catch {
            #expect(error.description == "unexpected 'x' (at byte 6)")
        }
    }

    /// What JSON cannot express is written as something it can read back.
    @Test func theWriterNeverWritesWhatTheReaderRefuses() throws {
        let value: JSONValue = ["nan": .number(.nan), "inf": .number(.infinity), "nul": "a\u{0}b"]
        let text = value.compactText
        #expect(text == #"{"inf":null,"nan":null,"nul":"a\ufffdb"}"#)
        #expect(try parse(text) == ["inf": nil, "nan": nil, "nul": "a\u{FFFD}b"])
    }
}
