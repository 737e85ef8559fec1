import Foundation

/// The JSON Schema (draft 2020-12) an agent declares for its input, and the check of a
/// value against it: the scheduler refuses a submission whose input does not fit, with
/// the field's JSON pointer, instead of letting a worker fail the workflow later.
///
/// Written here because no maintained Swift JSON Schema validator is in the package
/// mirror. It checks the keywords in `checkedKeywords`, which cover what Baton's
/// agents declare; the keywords in `annotationKeywords` only describe. A schema with any
/// other keyword is refused when its agent is registered (`unsupportedKeywords`), so a
/// constraint never goes silently unchecked.
public struct JSONSchema: Sendable, Hashable {
    public let value: JSONValue

    public init(_ value: JSONValue) { self.value = value }

    /// A schema any value fits.
    public static let anything = JSONSchema(.object([:]))

    public static let checkedKeywords: Set<String> = [
        "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
        "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems",
    ]
    public static let annotationKeywords: Set<String> = [
        "$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly",
        "writeOnly", "format",
    ]

    /// One way a value does not fit, at `path` (a JSON pointer, "" for the whole value).
    public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
        public var path: String
        public var message: String

        public var description: String { "\(path.isEmpty ? "input" : "input\(path)"): \(message)" }
    }

    /// The ways `instance` does not fit, at most `limit` of them, in document order.
    public func violations(of instance: JSONValue, limit: Int = 10) -> [Violation] {
        var found: [Violation] = []
        Self.check(instance, against: value, at: "", into: &found, limit: limit)
        return found
    }

    /// The keywords of this schema, at any depth, that are neither checked nor annotations.
    public var unsupportedKeywords: [String] {
        var found: Set<String> = []
        Self.collectUnsupported(value, into: &found)
        return found.sorted()
    }

    private static func collectUnsupported(_ schema: JSONValue, into found: inout Set<String>) {
        guard case .object(let members) = schema else { return }
        for (keyword, member) in members {
            if !checkedKeywords.contains(keyword) && !annotationKeywords.contains(keyword) { found.insert(keyword) }
            switch keyword {
            case "properties":
                if case .object(let properties) = member {
                    for property in properties.values { collectUnsupported(property, into: &found) }
                }
            case "items", "additionalProperties": collectUnsupported(member, into: &found)
            default: break
            }
        }
    }

    private static func check(
        _ instance: JSONValue, against schema: JSONValue, at path: String, into found: inout [Violation], limit: Int
    ) {
        guard found.count < limit else { return }
        func fail(_ message: String, at violationPath: String = path) {
            if found.count < limit { found.append(Violation(path: violationPath, message: message)) }
        }
        if case .bool(false) = schema { return fail("no value is allowed here") }
        guard case .object(let keywords) = schema else { return }

        if let types = keywords["type"] {
            let allowed = types.arrayValue?.compactMap(\.stringValue) ?? types.stringValue.map { [$0] } ?? []
            if !allowed.isEmpty, !allowed.contains(where: { instance.fits(type: $0) }) {
                return fail("must be \(allowed.map(article).joined(separator: " or ")), not \(instance.typeName)")
            }
        }
        if let choices = keywords["enum"]?.arrayValue, !choices.contains(instance) {
            return fail("must be one of \(choices.map(\.shortText).joined(separator: ", "))")
        }
        if let constant = keywords["const"], constant != instance { return fail("must be \(constant.shortText)") }

        switch instance {
        case .number(let number):
            if let minimum = keywords["minimum"]?.numberValue, number < minimum {
                fail("must be at least \(text(minimum)), not \(text(number))")
            }
            if let maximum = keywords["maximum"]?.numberValue, number > maximum {
                fail("must be at most \(text(maximum)), not \(text(number))")
            }
            if let bound = keywords["exclusiveMinimum"]?.numberValue, number <= bound {
                fail("must be more than \(text(bound)), not \(text(number))")
            }
            if let bound = keywords["exclusiveMaximum"]?.numberValue, number >= bound {
                fail("must be less than \(text(bound)), not \(text(number))")
            }
        case .string(let string):
            let length = string.unicodeScalars.count
            if let minimum = keywords["minLength"]?.numberValue, Double(length) < minimum {
                fail(minimum == 1 ? "must not be empty" : "must be at least \(text(minimum)) characters long")
            }
            if let maximum = keywords["maxLength"]?.numberValue, Double(length) > maximum {
                fail("must be at most \(text(maximum)) characters long, not \(length)")
            }
        case .array(let items):
            if let minimum = keywords["minItems"]?.numberValue, Double(items.count) < minimum {
                fail("must have at least \(text(minimum)) items")
            }
            if let maximum = keywords["maxItems"]?.numberValue, Double(items.count) > maximum {
                fail("must have at most \(text(maximum)) items, not \(items.count)")
            }
            if let itemSchema = keywords["items"] {
                for (index, item) in items.enumerated() {
                    check(item, against: itemSchema, at: "\(path)/\(index)", into: &found, limit: limit)
                }
            }
        case .object(let members):
            let properties = keywords["properties"].flatMap { value -> [String: JSONValue]? in
                if case .object(let properties) = value { return properties }
                return nil
            }
            for name in keywords["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
                fail("is required", at: "\(path)/\(pointerEscaped(name))")
            }
            for name in members.keys.sorted() {
                let member = members[name] ?? .null
                let memberPath = "\(path)/\(pointerEscaped(name))"
                if let propertySchema = properties?[name] {
                    check(member, against: propertySchema, at: memberPath, into: &found, limit: limit)
                } else if let additional = keywords["additionalProperties"] {
                    if case .bool(false) = additional {
                        let known = properties?.keys.sorted() ?? []
                        fail(
                            known.isEmpty
                                ? "is not a known field"
                                : "is not a known field; known: \(known.joined(separator: ", "))",
                            at: memberPath)
                    } else {
                        check(member, against: additional, at: memberPath, into: &found, limit: limit)
                    }
                }
            }
        case .null, .bool: break
        }
    }

    private static func article(_ type: String) -> String {
        switch type {
        case "integer", "object", "array": "an \(type)"
        case "null": "null"
        default: "a \(type)"
        }
    }

    private static func text(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? (number.wholeNumberText ?? "\(number)") : "\(number)"
    }

    /// RFC 6901: `~` and `/` inside a name.
    private static func pointerEscaped(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }
}

extension JSONValue {
    fileprivate func fits(type: String) -> Bool {
        switch (type, self) {
        case ("null", .null), ("boolean", .bool), ("number", .number), ("string", .string), ("array", .array),
            ("object", .object):
            true
        case ("integer", .number(let number)): number.isFinite && number.rounded() == number
        default: false
        }
    }

    fileprivate var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number(let number): number.rounded() == number ? "the number \(number.wholeNumberText ?? "")" : "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue {
    /// At most 60 characters of compact JSON, for messages.
    fileprivate var shortText: String {
        let text = compactText
        return text.count > 60 ? String(text.prefix(57)) + "..." : text
    }
}
