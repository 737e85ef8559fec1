import Foundation

/// The one wire format of commands and events: a JSON object whose `version` and
/// `type` fields sit beside the message's own fields.
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

    static func encode<Body: Encodable>(type: String, body: Body) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding these value types cannot fail: they hold no non-finite numbers.
        return try! encoder.encode(Envelope(header: Header(version: ContractVersion.current, type: type), body: body))
    }

    /// Checks size and version and returns the message type.
    static func header(of data: Data) throws(ContractError) -> String {
        guard data.count <= ContractVersion.maximumMessageBytes else {
            throw .tooLarge(bytes: data.count, limit: ContractVersion.maximumMessageBytes)
        }
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
        } catch {
            throw .malformed(describe(error))
        }
        guard let version = header.version else { throw .missingVersion }
        guard ContractVersion.supported.contains(version) else {
            throw .unsupportedVersion(found: version, supported: ContractVersion.supported)
        }
        guard let type = header.type else { throw .malformed("message has no 'type' field") }
        return type
    }

    static func body<Body: Decodable>(_: Body.Type, from data: Data) throws(ContractError) -> Body {
        do {
            return try JSONDecoder().decode(Body.self, from: data)
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
