/// Why a message could not be read. The text is meant for a dead-letter reason or an
/// operator's log: it names what was wrong and what is accepted.
public enum ContractError: Error, Equatable, CustomStringConvertible {
    /// The message declares a schema version this build does not understand.
    case unsupportedVersion(found: Int, supported: [Int])
    /// The message has no integer `version` field.
    case missingVersion
    /// The `type` field names no known message type.
    case unknownType(String, known: [String])
    /// The bytes are not JSON, or a field is missing or has the wrong type.
    case malformed(String)
    /// The message is larger than the limit for its kind.
    case tooLarge(bytes: Int, limit: Int)

    public var description: String {
        switch self {
        case .unsupportedVersion(let found, let supported):
            "unsupported contract version \(found); this build reads version(s) \(supported.map(String.init).joined(separator: ", "))"
        case .missingVersion:
            "message has no integer 'version' field"
        case .unknownType(let type, let known):
            "unknown message type '\(type)'; known types: \(known.joined(separator: ", "))"
        case .malformed(let reason):
            "malformed message: \(reason)"
        case .tooLarge(let bytes, let limit):
            "message of \(bytes) bytes exceeds the limit of \(limit) bytes"
        }
    }
}
