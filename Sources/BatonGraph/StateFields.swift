import BatonContracts

/// A state's top-level fields as its `encode(to:)` hands them to its keyed container, in
/// that order, captured without encoding them: the runtime encodes only the fields a node
/// changed (and of a list it extended, only the new elements) instead of the whole state
/// at every step. Strings, numbers and booleans are kept as their JSON (as cheap as
/// keeping them); other values as they are.
///
/// Only a state that encodes as one keyed container, each key encoded directly (what
/// synthesized `Codable` does), is captured; any other shape (nested containers, a super
/// encoder, a top-level array or single value) gives nil, and the caller encodes the whole
/// state instead. (A key encoded twice is the caller's to notice.)
struct StateFields {
    enum Field {
        case json(JSONValue)
        case value(any Encodable)
    }

    let fields: [(key: String, field: Field)]

    init?(_ state: some Encodable) {
        let capture = FieldCapture()
        do {
            try state.encode(to: capture)
        } catch {
            return nil
        }
        guard !capture.failed else { return nil }
        fields = capture.fields
    }

    /// The field `key`, looked for first at `index` (two states of one type encode their
    /// keys in the same order, unless an optional is absent from one).
    func field(_ key: String, near index: Int) -> Field? {
        if fields.indices.contains(index), fields[index].key == key { return fields[index].field }
        return fields.first { $0.key == key }?.field
    }
}

/// The encoder `StateFields` hands to a state: it keeps the values of the top-level keyed
/// container and notes any request it cannot keep as a field.
private final class FieldCapture: Encoder {
    var fields: [(key: String, field: StateFields.Field)] = []
    var failed = false
    let codingPath: [any CodingKey] = []
    let userInfo: [CodingUserInfoKey: Any] = [:]

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

/// Keeps what `JSONValueCoding`'s keyed container would make of the same calls.
private struct FieldContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let capture: FieldCapture
    var codingPath: [any CodingKey] { [] }

    private func keep(_ field: StateFields.Field, _ key: Key) { capture.fields.append((key.stringValue, field)) }

    mutating func encodeNil(forKey key: Key) throws { keep(.json(.null), key) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { keep(.json(.bool(value)), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { keep(.json(.string(value)), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { keep(.json(.number(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { keep(.json(.number(Double(value))), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws { keep(.value(value), key) }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        // As the JSON encoders do: an absent optional leaves the key out.
        if let value { keep(.value(value), key) }
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
