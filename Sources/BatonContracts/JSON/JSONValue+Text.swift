import Foundation

extension JSONValue {
    /// Reads JSON text (see `JSONParser` for what is refused and why).
    public static func parse(_ data: Data, limits: JSONLimits) throws(JSONParseError) -> JSONValue {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(JSONParseError) in try JSONParser.parse(raw.bindMemory(to: UInt8.self), limits: limits) }
        }
        return try result.get()
    }

    public static func parse(_ text: String, limits: JSONLimits) throws(JSONParseError) -> JSONValue {
        var text = text
        let result = text.withUTF8 { bytes in
            Result { () throws(JSONParseError) in try JSONParser.parse(bytes, limits: limits) }
        }
        return try result.get()
    }

    /// The value of JSON `text`; nil when it is not JSON Baton accepts in a message.
    public init?(parsing text: String) {
        guard let value = try? JSONValue.parse(text, limits: .message) else { return nil }
        self = value
    }

    /// Compact JSON, keys sorted.
    public var jsonData: Data {
        var writer = JSONWriter()
        writer.write(self)
        return Data(writer.output)
    }

    /// One-line JSON text, keys sorted.
    public var compactText: String {
        var writer = JSONWriter()
        writer.write(self)
        return String(decoding: writer.output, as: UTF8.self)
    }
}
