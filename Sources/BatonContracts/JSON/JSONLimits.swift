/// What the JSON reader accepts. Every JSON text from outside is read with a limit,
/// so that no input can make a daemon recurse without bound.
public struct JSONLimits: Sendable, Hashable {
    /// Objects and arrays nested deeper than this are refused.
    public var maximumDepth: Int
    /// Integers beyond ±2^53 are refused rather than rounded: from outside, such an
    /// integer is an id or an amount that a double would silently change.
    public var exactIntegersOnly: Bool

    public init(maximumDepth: Int, exactIntegersOnly: Bool = true) {
        self.maximumDepth = maximumDepth
        self.exactIntegersOnly = exactIntegersOnly
    }

    /// API bodies: a workflow's input, an answer (documented in the README).
    public static let requestBody = JSONLimits(maximumDepth: 64)
    /// Broker messages, which wrap inputs, states and nested subgraph checkpoints.
    public static let message = JSONLimits(maximumDepth: 192)
    /// Values Baton wrote itself (database columns), read back. Their integers beyond
    /// 2^53 were doubles when written (a body's `1.5e300`), which PostgreSQL's jsonb
    /// gives back in plain digits: they read as the same double again.
    public static let stored = JSONLimits(maximumDepth: 512, exactIntegersOnly: false)

    /// 2^53: integers up to this magnitude survive a double exactly.
    public static let largestExactInteger: Double = 9_007_199_254_740_992
}

/// Why JSON text was refused, with the byte offset where reading stopped.
public struct JSONParseError: Error, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable {
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case trailingCharacters
        case controlCharacterInString
        case invalidEscape(UInt8)
        case invalidUnicodeEscape
        case invalidUTF8
        case nulCharacter
        case tooDeep(limit: Int)
        case integerNotExact
        case numberOutOfRange
    }

    public var reason: Reason
    public var offset: Int

    public init(reason: Reason, offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "the text ends too early"
        case .unexpectedCharacter(let byte): what = "unexpected \(Self.show(byte))"
        case .trailingCharacters: what = "unexpected text after the JSON value"
        case .controlCharacterInString: what = "a control character in a string must be escaped"
        case .invalidEscape(let byte): what = "invalid escape \\\(Self.show(byte))"
        case .invalidUnicodeEscape: what = "invalid \\u escape (unpaired surrogate or bad hex digits)"
        case .invalidUTF8: what = "a string is not valid UTF-8"
        case .nulCharacter: what = "strings may not contain NUL (\\u0000): it cannot be stored"
        case .tooDeep(let limit): what = "objects and arrays nest deeper than \(limit) levels"
        case .integerNotExact:
            what = "an integer beyond ±2^53 (9007199254740992) cannot be kept exactly; send it as a string"
        case .numberOutOfRange: what = "a number is out of the range of a double"
        }
        return "\(what) (at byte \(offset))"
    }

    private static func show(_ byte: UInt8) -> String {
        (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "byte 0x\(String(byte, radix: 16))"
    }
}
