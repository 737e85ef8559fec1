import Foundation

/// A value that binds as a statement parameter, in PostgreSQL's text format.
public protocol PostgresEncodable: Sendable {
    static var postgresType: PostgresDataType { get }
    var postgresText: String { get }
}

extension String: PostgresEncodable {
    public static var postgresType: PostgresDataType { .text }
    public var postgresText: String { self }
}

extension Int: PostgresEncodable {
    public static var postgresType: PostgresDataType { .int8 }
    public var postgresText: String { String(self) }
}

extension Bool: PostgresEncodable {
    public static var postgresType: PostgresDataType { .bool }
    public var postgresText: String { self ? "true" : "false" }
}

extension Double: PostgresEncodable {
    public static var postgresType: PostgresDataType { .float8 }
    /// Non-finite values are PostgreSQL's spellings of them, never a trap.
    public var postgresText: String {
        if isNaN { return "NaN" }
        if isInfinite { return self < 0 ? "-Infinity" : "Infinity" }
        return "\(self)"
    }
}

extension UUID: PostgresEncodable {
    public static var postgresType: PostgresDataType { .uuid }
    public var postgresText: String { uuidString }
}

/// A type whose arrays bind as PostgreSQL arrays (`= ANY(…)` with one parameter).
public protocol PostgresArrayElement: PostgresEncodable {
    static var postgresArrayType: PostgresDataType { get }
}

extension String: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .textArray }
}

extension Int: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .int8Array }
}

extension Bool: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .boolArray }
}

extension UUID: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .uuidArray }
}

extension Date: PostgresArrayElement {
    public static var postgresArrayType: PostgresDataType { .timestamptzArray }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    /// An array literal with every element quoted, so commas, quotes and braces in an
    /// element stay inside it.
    public var postgresText: String { PostgresArrayLiteral.text(of: map(Optional.some)) }
}

/// An array whose elements may be NULL, for set-at-a-time statements
/// (`… FROM unnest($1::text[], $2::timestamptz[])`) where some rows have no value.
public struct PostgresNullableArray<Element: PostgresArrayElement>: PostgresEncodable {
    public var elements: [Element?]

    public init(_ elements: [Element?]) {
        self.elements = elements
    }

    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    public var postgresText: String { PostgresArrayLiteral.text(of: elements) }
}

enum PostgresArrayLiteral {
    /// `{"a","b\"c",NULL}`: elements quoted, NULL only for a missing one. Written as
    /// bytes: these literals carry a batch's JSON documents, and a character at a time
    /// was 9% of the scheduler's CPU.
    static func text<Element: PostgresEncodable>(of elements: [Element?]) -> String {
        var literal: [UInt8] = [UInt8(ascii: "{")]
        for (index, element) in elements.enumerated() {
            if index > 0 { literal.append(UInt8(ascii: ",")) }
            guard let element else {
                literal.append(contentsOf: "NULL".utf8)
                continue
            }
            let text = element.postgresText
            literal.append(UInt8(ascii: "\""))
            for byte in text.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { literal.append(UInt8(ascii: "\\")) }
                literal.append(byte)
            }
            literal.append(UInt8(ascii: "\""))
        }
        literal.append(UInt8(ascii: "}"))
        return String(decoding: literal, as: UTF8.self)
    }
}

extension Date: PostgresEncodable {
    public static var postgresType: PostgresDataType { .timestamptz }

    /// The range of instants stored: a date outside it (which validated input cannot
    /// produce) is clamped rather than allowed to overflow.
    public static let storableInPostgres =
        Date(timeIntervalSince1970: 0)...Date(timeIntervalSince1970: 253_402_300_799)

    /// Microsecond-precise UTC text.
    public var postgresText: String {
        let given = timeIntervalSince1970
        let upper = Self.storableInPostgres.upperBound.timeIntervalSince1970
        let clamped = given.isNaN ? 0 : min(max(given, 0), upper)
        let micros = Int64((clamped * 1_000_000).rounded())
        var seconds = time_t(micros / 1_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // By hand: `String(format:)` was 6% of the scheduler's CPU under load.
        var text = ""
        text.reserveCapacity(29)
        func append(_ value: Int, width: Int) {
            var digits = String(value)
            if digits.count < width { digits = String(repeating: "0", count: width - digits.count) + digits }
            text += digits
        }
        append(Int(parts.tm_year) + 1900, width: 4)
        text += "-"
        append(Int(parts.tm_mon) + 1, width: 2)
        text += "-"
        append(Int(parts.tm_mday), width: 2)
        text += " "
        append(Int(parts.tm_hour), width: 2)
        text += ":"
        append(Int(parts.tm_min), width: 2)
        text += ":"
        append(Int(parts.tm_sec), width: 2)
        text += "."
        append(Int(micros % 1_000_000), width: 6)
        return text + "+00"
    }
}
