import BatonContracts
import Foundation

/// Random and mutated JSON messages from a seed: the same seed gives the same inputs
/// on every run and platform, so a failing seed is the whole bug report. Shared by the
/// contracts and integration tests' fuzzers.
///
/// Mutations are those a broken or hostile peer produces: flipped bytes, cut messages,
/// removed and duplicated fields, wrong types, numbers at and past a double's range,
/// NaN-like literals, deep nesting, NUL, very long strings.
public struct SeededMutations {
    private var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    public mutating func next() -> UInt64 { generator.next() }

    public mutating func below(_ count: Int) -> Int { generator.below(count) }

    public mutating func element<T>(of choices: [T]) -> T { choices[below(choices.count)] }

    /// Raw tokens that no `JSONValue` renders: refused or edge-case literals.
    public static let oddTokens = [
        "NaN", "-NaN", "Infinity", "-Infinity", "1e309", "-1e309", "1e308", "-1e308", "9007199254740993",
        "-9007199254740993", "9007199254740992", "1e-400", "-0", "0x10", "01", "1.", ".5", "+1", "1e", "--1",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\x41\"", "\"\u{0}\"", "\"\u{7}\"", "nul", "tru",
        "[", "{", "\"", "[]", "{}", "null", "true", "-1", "0", "1e18", "4294967297",
    ]

    /// One mutation of a valid message (as text): most keep it JSON, some break it.
    public mutating func mutate(_ message: JSONValue) -> Data {
        var value = message
        for _ in 0...below(3) { value = mutateValue(value, depth: 0) }
        var text = Array(value.jsonData)
        if below(3) == 0 { text = mutateText(text, original: value) }
        if below(4) == 0 { text = mutateBytes(text) }
        return Data(text)
    }

    private static let placeholder = "\u{1}odd-token\u{1}"

    /// Replaces, adds or removes one member or element somewhere in the value.
    public mutating func mutateValue(_ value: JSONValue, depth: Int) -> JSONValue {
        switch value {
        case .object(var members) where !members.isEmpty && below(3) > 0:
            let key = members.keys.sorted()[below(members.count)]
            switch below(6) {
            case 0: members[key] = nil
            case 1: members[key] = replacement(for: members[key] ?? .null)
            case 2: members[element(of: ["extra", "version", "type", "attempt", "leaseToken", ""])] = randomValue()
            default: members[key] = mutateValue(members[key] ?? .null, depth: depth + 1)
            }
            return .object(members)
        case .array(var elements) where !elements.isEmpty && below(3) > 0:
            let index = below(elements.count)
            switch below(4) {
            case 0: elements.remove(at: index)
            case 1: elements.append(elements[index])
            default: elements[index] = mutateValue(elements[index], depth: depth + 1)
            }
            return .array(elements)
        default:
            return replacement(for: value)
        }
    }

    /// A value of another type, an extreme, or the same value wrapped deep.
    public mutating func replacement(for value: JSONValue) -> JSONValue {
        switch below(10) {
        case 0: return .string(Self.placeholder)  // becomes an odd raw token
        case 1:
            var nested = value
            for _ in 0..<element(of: [8, 63, 64, 65, 191, 192, 193, 300]) { nested = [nested] }
            return nested
        case 2:
            return .string(
                String(repeating: element(of: ["a", "é", "💥", "\u{0}"]), count: element(of: [1_000, 70_000])))
        case 3: return .number(element(of: [1e308, -1e308, 0, -1, 2_147_483_648, 9_007_199_254_740_992, 0.5]))
        case 4: return .string(String(describing: value).prefix(50).description)
        default: return randomValue()
        }
    }

    public mutating func randomValue() -> JSONValue {
        switch below(8) {
        case 0: return .null
        case 1: return .bool(below(2) == 0)
        case 2: return .number(Double(Int(next() % 2_000)) - 1_000)
        case 3: return .string(element(of: ["", "x", "started", "run_activity", "\u{0}", "a\nb", "secret"]))
        case 4: return .array([.number(1), .string("two")])
        case 5: return .object(["step": 1, "nextNodes": [], "state": [:]])
        case 6: return .number(1)
        default: return .object([:])
        }
    }

    /// Text-level mutations: odd raw tokens, duplicated keys, a cut or a repeat.
    public mutating func mutateText(_ text: [UInt8], original: JSONValue) -> [UInt8] {
        var text = String(decoding: text, as: UTF8.self)
        let quoted = "\"\\u0001odd-token\\u0001\""
        while let range = text.range(of: quoted) {
            text.replaceSubrange(range, with: element(of: Self.oddTokens))
        }
        switch below(4) {
        case 0:
            // A duplicated key: JSON allows it, readers disagree on which wins.
            if case .object(let members) = original, let key = members.keys.sorted().first, text.hasPrefix("{") {
                text.insert(
                    contentsOf: "\"\(key)\":\(randomValue().compactText),", at: text.index(after: text.startIndex))
            }
        case 1: text += element(of: ["", " ", "\n", "}", "x", "\u{0}"])
        default: break
        }
        return Array(text.utf8)
    }

    /// Byte-level mutations: flips, cuts, inserted and dropped bytes, a repeated slice.
    public mutating func mutateBytes(_ bytes: [UInt8]) -> [UInt8] {
        var bytes = bytes
        guard !bytes.isEmpty else { return [UInt8(truncatingIfNeeded: next())] }
        for _ in 0...below(4) {
            let index = below(bytes.count)
            switch below(6) {
            case 0: bytes[index] ^= UInt8(1 << below(8))
            case 1: bytes = Array(bytes.prefix(index))
            case 2: bytes.insert(element(of: [0, 0x22, 0x5C, 0x7B, 0x5B, 0xFF, 0xC3, 0x80]), at: index)
            case 3: bytes.remove(at: index)
            case 4: bytes.insert(contentsOf: bytes[index..<min(bytes.count, index + 16)], at: index)
            default: bytes[index] = UInt8(truncatingIfNeeded: next())
            }
            if bytes.isEmpty { break }
        }
        return bytes
    }

    /// Arbitrary bytes, sometimes JSON-looking.
    public mutating func randomBytes() -> Data {
        let alphabet = Array("{}[]\":,0123456789-+.eE truefalsnul\\u\n\t".utf8) + [0, 0xFF, 0xC3, 0xA9]
        return Data(
            (0..<below(200)).map { _ in below(2) == 0 ? element(of: alphabet) : UInt8(truncatingIfNeeded: next()) })
    }
}
