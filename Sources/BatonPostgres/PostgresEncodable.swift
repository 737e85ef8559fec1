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

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public static var postgresType: PostgresDataType { Element.postgresArrayType }
    /// An array literal with every element quoted, so commas, quotes and braces in an
    /// element stay inside it.
    public var postgresText: String {
        let elements = map { element in
            var quoted = "\""
            for character in element.postgresText.unicodeScalars {
                if character == "\"" || character == "\\" { quoted.unicodeScalars.append("\\") }
                quoted.unicodeScalars.append(character)
            }
            return quoted + "\""
        }
        return "{" + elements.joined(separator: ",") + "}"
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
        return String(
            format: "%04d-%02d-%02d %02d:%02d:%02d.%06d+00", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int32(micros % 1_000_000))
    }
}
