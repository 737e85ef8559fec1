import Foundation

/// The one wire format of commands and events: a JSON object whose `version` and
/// `type` fields sit beside the message's own fields.
///
/// Messages are read with Baton's own JSON reader (`JSONParser`: linear time, bounded
/// depth), once: the header and the body come from the same parsed value.
enum MessageCodec {
    private struct Header: Codable {
        var version: Int?
        var type: String?
    }

    private struct Envelope<Body: Encodable>: Encodable {
        var header: Header
        var body: Body
        func encode(to encoder: any Encoder) throws {
            try header.encode(to: encoder)
            try body.encode(to: encoder)
        }
    }

    /// A message whose size, JSON and version were checked.
    struct Message {
        var type: String
        var json: JSONValue
    }

    static func encode<Body: Encodable>(type: String, body: Body) -> Data {
        let envelope = Envelope(header: Header(version: ContractVersion.current, type: type), body: body)
        do {
            return try JSONValueCoding.encode(envelope).jsonData
        } catch {
            // The tree encoder fails only for a custom `encode(to:)` that throws; no contract type has one.
            preconditionFailure("encoding a \(type) message failed: \(error)")
        }
    }

    /// Checks size, JSON and version.
    static func read(_ data: Data) throws(ContractError) -> Message {
        guard data.count <= ContractVersion.maximumMessageBytes else {
            throw .tooLarge(bytes: data.count, limit: ContractVersion.maximumMessageBytes)
        }
        let json: JSONValue
        do {
            json = try JSONValue.parse(data, limits: .message)
        } catch {
            throw .malformed("not valid JSON: \(error)")
        }
        guard case .object = json else { throw .malformed("a message must be a JSON object") }
        guard let versionValue = json["version"] else { throw .missingVersion }
        guard let version = versionValue.numberValue.flatMap({ Int(exactly: $0) }) else { throw .missingVersion }
        guard ContractVersion.supported.contains(version) else {
            throw .unsupportedVersion(found: version, supported: ContractVersion.supported)
        }
        guard let type = json["type"]?.stringValue else { throw .malformed("message has no 'type' field") }
        return Message(type: type, json: json)
    }

    static func body<Body: Decodable>(_: Body.Type, of message: Message) throws(ContractError) -> Body {
        do {
            return try JSONValueCoding.decode(Body.self, from: message.json)
        } catch {
            throw .malformed(describe(error))
        }
    }

    /// DecodingError's default text is a wall of context; say which field and why.
    static func describe(_ error: any Error) -> String {
        guard let error = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return path.isEmpty ? "the message" : "'\(path)'"
        }
        switch error {
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "not valid JSON" : "\(path(context)) is invalid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field '\(key.stringValue)' in \(path(context))"
        case .typeMismatch(let type, let context):
            return "\(path(context)) should be of type \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(type)"
        @unknown default:
            return "\(error)"
        }
    }
}
