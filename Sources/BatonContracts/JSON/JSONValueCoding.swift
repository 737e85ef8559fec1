import Foundation

/// Encodes any `Encodable` straight into a `JSONValue` and decodes one back, without
/// going through JSON text: graph states cross this boundary at every super-step.
public enum JSONValueCoding {
    public static func encode(_ value: some Encodable) throws -> JSONValue {
        if let json = value as? JSONValue { return json }
        let node = Node()
        try encodeValue(value, into: node, codingPath: [])
        return node.value
    }

    public static func decode<Value: Decodable>(_: Value.Type, from json: JSONValue) throws -> Value {
        if let value = json as? Value { return value }
        return try Value(from: TreeDecoder(json: json, codingPath: []))
    }
}

// MARK: Encoding

/// A mutable tree of containers that becomes a `JSONValue` once encoding is done.
private final class Node {
    enum Content {
        case value(JSONValue)
        case object([String: Node], order: [String])
        case array([Node])
    }
    var content: Content = .value(.null)

    var value: JSONValue {
        switch content {
        case .value(let value): value
        case .object(let members, _): .object(members.mapValues(\.value))
        case .array(let elements): .array(elements.map(\.value))
        }
    }

    func child(forKey key: String) -> Node {
        guard case .object(var members, var order) = content else { preconditionFailure("not an object") }
        if let existing = members[key] { return existing }
        // `members` and `order` must hold the only references, or adding to them copies
        // them: encoding an object of n members, or an array of n elements, was O(n²)
        // (a 500-record graph state took most of a step's time).
        content = .value(.null)
        let node = Node()
        members[key] = node
        order.append(key)
        content = .object(members, order: order)
        return node
    }

    func appendChild() -> Node {
        guard case .array(var elements) = content else { preconditionFailure("not an array") }
        content = .value(.null)  // see `child(forKey:)`
        let node = Node()
        elements.append(node)
        content = .array(elements)
        return node
    }
}

private struct TreeEncoder: Encoder {
    let root: Node
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(codingPath: [any CodingKey], node: Node) {
        self.codingPath = codingPath
        self.root = node
    }

    func container<Key: CodingKey>(keyedBy _: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = root.content {} else { root.content = .object([:], order: []) }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: root, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = root.content {} else { root.content = .array([]) }
        return UnkeyedContainer(node: root, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleContainer(node: root, codingPath: codingPath)
    }
}

private func encodeValue(_ value: some Encodable, into node: Node, codingPath: [any CodingKey]) throws {
    switch value {
    case let json as JSONValue: node.content = .value(json)
    case let date as Date: node.content = .value(.number(date.timeIntervalSinceReferenceDate))
    case let data as Data: node.content = .value(.string(data.base64EncodedString()))
    case let url as URL: node.content = .value(.string(url.absoluteString))
    case let decimal as Decimal: node.content = .value(.number(NSDecimalNumber(decimal: decimal).doubleValue))
    // Fixed-width numbers go straight in: their own `encode(to:)` would come back here.
    case let number as Int8: node.content = .value(.number(Double(number)))
    case let number as Int16: node.content = .value(.number(Double(number)))
    case let number as Int32: node.content = .value(.number(Double(number)))
    case let number as Int64: node.content = .value(.number(Double(number)))
    case let number as UInt: node.content = .value(.number(Double(number)))
    case let number as UInt8: node.content = .value(.number(Double(number)))
    case let number as UInt16: node.content = .value(.number(Double(number)))
    case let number as UInt32: node.content = .value(.number(Double(number)))
    case let number as UInt64: node.content = .value(.number(Double(number)))
    case let number as Float: node.content = .value(.number(Double(number)))
    default: try value.encode(to: TreeEncoder(codingPath: codingPath, node: node))
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { node.child(forKey: key.stringValue).content = .value(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws {
        node.child(forKey: key.stringValue).content = .value(.bool(value))
    }
    mutating func encode(_ value: String, forKey key: Key) throws {
        node.child(forKey: key.stringValue).content = .value(.string(value))
    }
    mutating func encode(_ value: Double, forKey key: Key) throws {
        node.child(forKey: key.stringValue).content = .value(.number(value))
    }
    mutating func encode(_ value: Int, forKey key: Key) throws {
        node.child(forKey: key.stringValue).content = .value(.number(Double(value)))
    }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: node.child(forKey: key.stringValue), codingPath: codingPath + [key])
    }
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
        // Like JSONEncoder: an absent optional leaves the key out.
        if let value { try encode(value, forKey: key) }
    }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy _: NestedKey.Type, forKey key: Key
    )
        -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.child(forKey: key.stringValue)
        child.content = .object([:], order: [])
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let child = node.child(forKey: key.stringValue)
        child.content = .array([])
        return UnkeyedContainer(node: child, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder {
        TreeEncoder(codingPath: codingPath, node: node.child(forKey: "super"))
    }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        TreeEncoder(codingPath: codingPath + [key], node: node.child(forKey: key.stringValue))
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey]
    var count: Int {
        if case .array(let elements) = node.content { return elements.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendChild().content = .value(.null) }
    mutating func encode(_ value: Bool) throws { node.appendChild().content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { node.appendChild().content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { node.appendChild().content = .value(.number(value)) }
    mutating func encode(_ value: Int) throws { node.appendChild().content = .value(.number(Double(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, into: node.appendChild(), codingPath: codingPath)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy _: NestedKey.Type) -> KeyedEncodingContainer<NestedKey>
    {
        let child = node.appendChild()
        child.content = .object([:], order: [])
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(node: child, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let child = node.appendChild()
        child.content = .array([])
        return UnkeyedContainer(node: child, codingPath: codingPath)
    }
    mutating func superEncoder() -> any Encoder { TreeEncoder(codingPath: codingPath, node: node.appendChild()) }
}

private struct SingleContainer: SingleValueEncodingContainer {
    let node: Node
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }
    mutating func encode(_ value: Bool) throws { node.content = .value(.bool(value)) }
    mutating func encode(_ value: String) throws { node.content = .value(.string(value)) }
    mutating func encode(_ value: Double) throws { node.content = .value(.number(value)) }
    mutating func encode(_ value: Int) throws { node.content = .value(.number(Double(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: node, codingPath: codingPath) }
}

// MARK: Decoding

private struct TreeDecoder: Decoder {
    let json: JSONValue
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy _: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = json else {
            throw DecodingError.typeMismatch(
                [String: JSONValue].self, .init(codingPath: codingPath, debugDescription: "expected an object"))
        }
        return KeyedDecodingContainer(KeyedReader<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = json else {
            throw DecodingError.typeMismatch(
                [JSONValue].self, .init(codingPath: codingPath, debugDescription: "expected an array"))
        }
        return UnkeyedReader(elements: elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SingleReader(json: json, codingPath: codingPath)
    }
}

private func decodeValue<T: Decodable>(_: T.Type, from json: JSONValue, codingPath: [any CodingKey]) throws -> T {
    func mismatch() -> DecodingError {
        .typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "expected \(T.self), found \(json)"))
    }
    switch T.self {
    case is JSONValue.Type: return json as! T
    case is Date.Type:
        guard case .number(let seconds) = json else { throw mismatch() }
        return Date(timeIntervalSinceReferenceDate: seconds) as! T
    case is Data.Type:
        guard case .string(let text) = json, let data = Data(base64Encoded: text) else { throw mismatch() }
        return data as! T
    case is URL.Type:
        guard case .string(let text) = json, let url = URL(string: text) else { throw mismatch() }
        return url as! T
    case is Int8.Type, is Int16.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt8.Type, is UInt16.Type,
        is UInt32.Type, is UInt64.Type, is Float.Type, is Int.Type, is Double.Type, is Bool.Type, is String.Type:
        return try scalar(json, codingPath, as: T.self)
    default:
        return try T(from: TreeDecoder(json: json, codingPath: codingPath))
    }
}

private func scalar<T>(_ json: JSONValue, _ codingPath: [any CodingKey], as _: T.Type) throws -> T {
    let value: Any?
    switch (json, T.self) {
    case (.bool(let flag), is Bool.Type): value = flag
    case (.string(let text), is String.Type): value = text
    case (.number(let number), is Double.Type): value = number
    case (.number(let number), is Float.Type): value = Float(number)
    case (.number(let number), is Int.Type): value = Int(exactly: number)
    case (.number(let number), is Int64.Type): value = Int64(exactly: number)
    case (.number(let number), is Int32.Type): value = Int32(exactly: number)
    case (.number(let number), is Int16.Type): value = Int16(exactly: number)
    case (.number(let number), is Int8.Type): value = Int8(exactly: number)
    case (.number(let number), is UInt.Type): value = UInt(exactly: number)
    case (.number(let number), is UInt64.Type): value = UInt64(exactly: number)
    case (.number(let number), is UInt32.Type): value = UInt32(exactly: number)
    case (.number(let number), is UInt16.Type): value = UInt16(exactly: number)
    case (.number(let number), is UInt8.Type): value = UInt8(exactly: number)
    default: value = nil
    }
    guard let typed = value as? T else {
        throw DecodingError.typeMismatch(
            T.self, .init(codingPath: codingPath, debugDescription: "expected \(T.self), found \(json)"))
    }
    return typed
}

private struct KeyedReader<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    var codingPath: [any CodingKey]
    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func member(_ key: Key) throws -> JSONValue {
        guard let value = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value"))
        }
        return value
    }

    func decodeNil(forKey key: Key) throws -> Bool { (members[key.stringValue] ?? .null) == .null }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
        try scalar(member(key), codingPath + [key], as: type)
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String {
        try scalar(member(key), codingPath + [key], as: type)
    }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
        try scalar(member(key), codingPath + [key], as: type)
    }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int {
        try scalar(member(key), codingPath + [key], as: type)
    }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeValue(type, from: member(key), codingPath: codingPath + [key])
    }
    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try TreeDecoder(json: member(key), codingPath: codingPath + [key]).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(json: member(key), codingPath: codingPath + [key]).unkeyedContainer()
    }
    func superDecoder() throws -> any Decoder { TreeDecoder(json: members["super"] ?? .null, codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder {
        TreeDecoder(json: members[key.stringValue] ?? .null, codingPath: codingPath + [key])
    }
}

private struct UnkeyedReader: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    var codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> JSONValue {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                JSONValue.self, .init(codingPath: codingPath, debugDescription: "the array has no more elements"))
        }
        defer { currentIndex += 1 }
        return elements[currentIndex]
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }
    mutating func decode(_ type: Bool.Type) throws -> Bool { try scalar(next(), codingPath, as: type) }
    mutating func decode(_ type: String.Type) throws -> String { try scalar(next(), codingPath, as: type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try scalar(next(), codingPath, as: type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try scalar(next(), codingPath, as: type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeValue(type, from: next(), codingPath: codingPath)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try TreeDecoder(json: next(), codingPath: codingPath).container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try TreeDecoder(json: next(), codingPath: codingPath).unkeyedContainer()
    }
    mutating func superDecoder() throws -> any Decoder { TreeDecoder(json: try next(), codingPath: codingPath) }
}

private struct SingleReader: SingleValueDecodingContainer {
    let json: JSONValue
    var codingPath: [any CodingKey]

    func decodeNil() -> Bool { json == .null }
    func decode(_ type: Bool.Type) throws -> Bool { try scalar(json, codingPath, as: type) }
    func decode(_ type: String.Type) throws -> String { try scalar(json, codingPath, as: type) }
    func decode(_ type: Double.Type) throws -> Double { try scalar(json, codingPath, as: type) }
    func decode(_ type: Int.Type) throws -> Int { try scalar(json, codingPath, as: type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type, from: json, codingPath: codingPath) }
}
