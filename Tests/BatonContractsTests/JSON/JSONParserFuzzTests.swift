import BatonContracts
import BatonFuzzMutations
import Foundation
import Testing

/// Seeded fuzzing of `JSONValue.parse` (CI's share; `make fuzz` runs libFuzzer on the
/// same property): any bytes either fail with an offset inside the input, or parse to
/// a value whose compact text parses back to an equal value and the same text.
@Suite struct JSONParserFuzzTests {
    static let seeds: [UInt64] = [1, 2, 3, 0xBA70_0001, 20_261_201]
    static let inputsPerSeed = 1_000

    static let samples: [JSONValue] = [
        ["version": 1, "type": "started", "attempt": 1, "workflowId": "wf-1", "workerId": "w1"],
        ["a": [1, 2.5, -3e10, "x\ny", ["b": nil]], "é": true, "": [:]],
        [["step": 3, "nextNodes": ["n"], "state": ["deep": [[[[]]]]]]],
        "plain",
        -0.0,
    ]

    /// A random tree of every JSON kind, keys and strings included.
    static func randomValue(_ random: inout SeededMutations, depth: Int = 0) -> JSONValue {
        switch random.below(depth > 4 ? 4 : 7) {
        case 0: return .null
        case 1: return .bool(random.below(2) == 0)
        case 2:
            let number = random.element(of: [
                Double(random.below(1_000_000)) - 500_000, Double(random.below(1_000)) / 7, 1e308, -1e-300, 9e15,
                9_007_199_254_740_992, -9_007_199_254_740_992, 1.2345678901234568e17,
            ])
            return .number(number)
        case 3:
            return .string(
                random.element(of: ["", "ascii", "tab\tquote\"back\\slash", "\u{1}\u{1F}", "é💥", "\u{FFFD}", "/"]))
        case 4, 5:
            return .array((0..<random.below(4)).map { _ in randomValue(&random, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<random.below(4) {
                members[random.element(of: ["a", "b", "é", "", "\"", "version"])] = randomValue(
                    &random, depth: depth + 1)
            }
            return .object(members)
        }
    }

    static func check(_ data: Data, _ what: String) {
        for limits in [JSONLimits.requestBody, .message] {
            do throws(JSONParseError) {
                let value = try JSONValue.parse(data, limits: limits)
                let text = value.compactText
                let again = try JSONValue.parse(text, limits: limits)
                #expect(again == value, "\(what): re-parsed value differs: \(text.prefix(200))")
                #expect(again.compactText == text, "\(what): compactText is not stable")
            } catch {
                #expect((0...data.count).contains(error.offset), "\(what): offset \(error.offset) of \(data.count)")
                #expect(!error.description.isEmpty)
            }
        }
    }

    @Test(arguments: seeds) func randomAndMutatedTextParsesBackOrFailsInside(seed: UInt64) {
        var random = SeededMutations(seed: seed)
        for index in 0..<Self.inputsPerSeed {
            let data: Data
            switch random.below(3) {
            case 0: data = Self.randomValue(&random).jsonData
            case 1: data = random.mutate(random.element(of: Self.samples + [Self.randomValue(&random)]))
            default: data = random.randomBytes()
            }
            Self.check(data, "seed \(seed) input \(index) (\(data.base64EncodedString().prefix(120)))")
        }
    }

    /// The writer's own odd cases: non-finite numbers become null, NUL becomes U+FFFD,
    /// and integers past 2^53 are written as doubles; each must read back.
    @Test func whatTheWriterCannotExpressStillReadsBack() throws {
        let value: JSONValue = [
            "nan": .number(.nan), "inf": .number(-.infinity), "nul": "a\u{0}b", "big": .number(1e300),
            "past": .number(9_007_199_254_740_994), "tiny": .number(.leastNonzeroMagnitude),
        ]
        let parsed = try JSONValue.parse(value.compactText, limits: .message)
        #expect(parsed["nan"] == .null)
        #expect(parsed["nul"] == "a\u{FFFD}b")
        #expect(parsed["past"] == .number(9_007_199_254_740_994))
        #expect(parsed["tiny"] == .number(.leastNonzeroMagnitude))
        #expect(try JSONValue.parse(parsed.compactText, limits: .message) == parsed)
    }
}
