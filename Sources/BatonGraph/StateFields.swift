import BatonContracts

/// A state's top-level fields as the Swift values its `encode(to:)` hands to its keyed
/// container, by coding key, captured without encoding them: the runtime encodes only
/// the fields a node changed (and of a list it extended, only the new elements) instead
/// of the whole state at every step.
///
/// Only a state that encodes as one keyed container of distinct keys, each encoded
/// directly (what synthesized `Codable` does), is captured; any other shape (nested
/// containers, a super encoder, a key encoded twice, a top-level array or single value)
/// gives nil, and the caller encodes the whole state instead.
struct StateFields {
    /// A field's value, nil for a key encoded with `encodeNil`.
    let values: [String: (any Encodable)?]

    init?(_ state: some Encodable) {
        let capture = FieldCapture()
        do {
            try state.encode(to: capture)
        } catch {
            return nil
        }
        guard !capture.failed else { return nil }
        values = capture.values
    }
}

/// The encoder `StateFields` hands to a state: it keeps the values of the top-level keyed
/// container and notes any request it cannot keep as a field.
private final class FieldCapture: Encoder {
    var values: [String: (any Encodable)?] = [:]
    var failed = false
    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]

    func keep(_ value: (any Encodable)?, forKey key: String) {
        if values.updateValue(value, forKey: key) != nil { failed = true }
    }

    func container<Key: CodingKey>(keyedBy _: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(FieldContainer<Key>(capture: self))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        failed = true
        return DiscardingContainer<AnyCodingKey>()
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        failed = true
        return DiscardingContainer<AnyCodingKey>()
    }
}

private struct FieldContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let capture: FieldCapture
    var codingPath: [any CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { capture.keep(nil, forKey: key.stringValue) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        capture.keep(value, forKey: key.stringValue)
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        // As the JSON encoders do: an absent optional leaves the key out.
        if let value { capture.keep(value, forKey: key.stringValue) }
    }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy _: NestedKey.Type, forKey _: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        capture.failed = true
        return KeyedEncodingContainer(DiscardingContainer<NestedKey>())
    }
    mutating func nestedUnkeyedContainer(forKey _: Key) -> any UnkeyedEncodingContainer {
        capture.failed = true
        return DiscardingContainer<AnyCodingKey>()
    }
    mutating func superEncoder() -> any Encoder {
        capture.failed = true
        return DiscardingEncoder()
    }
    mutating func superEncoder(forKey _: Key) -> any Encoder {
        capture.failed = true
        return DiscardingEncoder()
    }
}

/// Where the requests a capture cannot keep go, once it has given up.
private struct DiscardingEncoder: Encoder {
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy _: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(DiscardingContainer<Key>())
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer { DiscardingContainer<AnyCodingKey>() }
    func singleValueContainer() -> any SingleValueEncodingContainer { DiscardingContainer<AnyCodingKey>() }
}

private struct DiscardingContainer<Key: CodingKey>: KeyedEncodingContainerProtocol, UnkeyedEncodingContainer,
    SingleValueEncodingContainer
{
    var codingPath: [any CodingKey] { [] }
    var count: Int { 0 }

    mutating func encodeNil() throws {}
    mutating func encode<T: Encodable>(_: T) throws {}
    mutating func encodeNil(forKey _: Key) throws {}
    mutating func encode<T: Encodable>(_: T, forKey _: Key) throws {}
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type) -> KeyedEncodingContainer<NestedKey>
    {
        KeyedEncodingContainer(DiscardingContainer<NestedKey>())
    }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy _: NestedKey.Type, forKey _: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        KeyedEncodingContainer(DiscardingContainer<NestedKey>())
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { self }
    mutating func nestedUnkeyedContainer(forKey _: Key) -> any UnkeyedEncodingContainer { self }
    mutating func superEncoder() -> any Encoder { DiscardingEncoder() }
    mutating func superEncoder(forKey _: Key) -> any Encoder { DiscardingEncoder() }
}

private struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}
