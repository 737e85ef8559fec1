import BatonContracts

/// What a node did to one field, told from the Swift values it received and returned
/// where their type allows, so that the field's JSON need not be made again: unchanged
/// (`Equatable` and equal), extended (an array of `Equatable` elements that starts with
/// the one received: only the new elements are encoded), or unknown (the caller encodes
/// the field and compares JSON).
///
/// This trusts a type's `==` to mean "encodes the same", as synthesized conformances do,
/// and takes list elements whose bytes did not change as unchanged (`Array.extends`): a
/// field whose `==` ignores part of its value, or an object a node changed in place
/// behind a reference the state holds, hides that change.
enum FieldComparison {
    enum Outcome {
        case unchanged
        /// `output` is `input`'s `count` elements followed by `added` (encoded).
        case extended(count: Int, added: [JSONValue])
        case unknown
    }

    static func compare(input: any Encodable, output: any Encodable) throws -> Outcome {
        guard let output = output as? any Equatable else { return .unknown }
        if isEqual(output, input) { return .unchanged }
        guard let list = output as? any ExtensibleList, let added = try list.encodedElements(after: input) else {
            return .unknown
        }
        return .extended(count: added.after, added: added.elements)
    }

    private static func isEqual<Value: Equatable>(_ value: Value, _ other: Any) -> Bool {
        guard let other = other as? Value else { return false }
        return value == other
    }
}

/// An array whose elements can be compared: whether it extends another.
private protocol ExtensibleList {
    /// The elements after those of `earlier` (how many it has, and the rest encoded), when
    /// this array starts with all of them and has more; nil otherwise.
    func encodedElements(after earlier: Any) throws -> (after: Int, elements: [JSONValue])?
}

extension Array: ExtensibleList where Element: Encodable & Equatable {
    fileprivate func encodedElements(after earlier: Any) throws -> (after: Int, elements: [JSONValue])? {
        guard let earlier = earlier as? [Element], count > earlier.count, extends(earlier),
            let added = try JSONValueCoding.encode(Array(self[earlier.count...])).arrayValue
        else { return nil }
        return (earlier.count, added)
    }
}
