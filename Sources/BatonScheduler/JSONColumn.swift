import Foundation

/// Values stored in `jsonb` columns, written and read as JSON text.
enum JSONColumn {
    static func text<Value: Encodable>(_ value: Value) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // The stored types hold only finite numbers and strings: encoding cannot fail.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }

    static func value<Value: Decodable>(_: Value.Type, from text: String?) throws -> Value? {
        guard let text else { return nil }
        return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }
}
