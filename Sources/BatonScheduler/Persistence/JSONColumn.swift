import BatonContracts
import BatonPostgres
import Foundation

/// Values stored in `jsonb` columns, written and read as JSON text with Baton's own
/// JSON reader and writer (linear time, bounded depth; see `JSONParser`).
enum JSONColumn {
    static func text<Value: Encodable>(_ value: Value) -> String {
        do {
            return try JSONValueCoding.encode(value).compactText
        } catch {
            // The tree encoder fails only for a custom `encode(to:)` that throws; no stored type has one.
            preconditionFailure("encoding a \(Value.self) column failed: \(error)")
        }
    }

    static func value<Value: Decodable>(_: Value.Type, from text: String?) throws -> Value? {
        guard let text else { return nil }
        return try JSONValueCoding.decode(Value.self, from: JSONValue.parse(text, limits: .stored))
    }
}

extension PostgresQuery.StringInterpolation {
    /// Binds `value` as `jsonb`, written by Baton's JSON writer.
    mutating func appendInterpolation<Value: Encodable>(json value: Value) {
        appendInterpolation(PostgresBinding.jsonb(JSONColumn.text(value)))
    }

    /// Binds `value` as `jsonb`; nil binds SQL NULL.
    mutating func appendInterpolation<Value: Encodable>(json value: Value?) {
        appendInterpolation(PostgresBinding.jsonb(value.map(JSONColumn.text)))
    }

    /// Binds JSON text as `jsonb`.
    mutating func appendInterpolation(jsonText text: String?) {
        appendInterpolation(PostgresBinding.jsonb(text))
    }
}
