extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent: lets messages and
    /// configuration files leave out every field that has a sensible default.
    public func decode<Value: Decodable>(_ key: Key, default fallback: @autoclosure () -> Value) throws -> Value {
        try decodeIfPresent(Value.self, forKey: key) ?? fallback()
    }
}
