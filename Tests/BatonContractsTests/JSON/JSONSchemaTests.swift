import BatonContracts
import Testing

@Suite struct JSONSchemaTests {
    static let schema = JSONSchema([
        "type": "object",
        "required": ["request"],
        "additionalProperties": false,
        "properties": [
            "request": ["type": "string", "minLength": 1, "maxLength": 10],
            "steps": ["type": "integer", "minimum": 1, "maximum": 100],
            "ratio": ["type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1],
            "mode": ["enum": ["fast", "careful"]],
            "version": ["const": 2],
            "areas": ["type": ["array", "null"], "maxItems": 2, "minItems": 1, "items": ["type": "string"]],
            "a/b~c": ["type": "boolean"],
        ],
    ])

    static func paths(_ input: JSONValue) -> [String] { schema.violations(of: input).map(\.path) }

    @Test func aFittingValueHasNoViolations() {
        #expect(
            Self.schema.violations(of: [
                "request": "why", "steps": 100, "ratio": 0.5, "mode": "fast", "version": 2, "areas": ["x"],
                "a/b~c": true,
            ]).isEmpty)
        #expect(Self.schema.violations(of: ["request": "x", "areas": nil]).isEmpty)
        #expect(JSONSchema.anything.violations(of: ["anything": [1, 2]]).isEmpty)
    }

    @Test func eachViolationNamesItsFieldByJSONPointer() {
        #expect(Self.paths([:]) == ["/request"])
        #expect(Self.paths(["request": ""]) == ["/request"])
        #expect(Self.paths(["request": "far too long"]) == ["/request"])
        #expect(Self.paths(["request": "x", "steps": 0]) == ["/steps"])
        #expect(Self.paths(["request": "x", "steps": 2.5]) == ["/steps"])
        #expect(Self.paths(["request": "x", "steps": "3"]) == ["/steps"])
        #expect(Self.paths(["request": "x", "ratio": 1]) == ["/ratio"])
        #expect(Self.paths(["request": "x", "ratio": 0]) == ["/ratio"])
        #expect(Self.paths(["request": "x", "mode": "slow"]) == ["/mode"])
        #expect(Self.paths(["request": "x", "version": 3]) == ["/version"])
        #expect(Self.paths(["request": "x", "areas": []]) == ["/areas"])
        #expect(Self.paths(["request": "x", "areas": ["a", "b", "c"]]) == ["/areas"])
        #expect(Self.paths(["request": "x", "areas": ["a", 7]]) == ["/areas/1"])
        #expect(Self.paths(["request": "x", "a/b~c": 1]) == ["/a~1b~0c"])
        #expect(Self.paths(["request": "x", "stepz": 3]) == ["/stepz"])
        #expect(Self.paths("not an object") == [""])
    }

    @Test func messagesSayWhatIsWrongAndWhatFits() {
        #expect(
            Self.schema.violations(of: ["request": "x", "steps": 0]).map(\.description) == [
                "input/steps: must be at least 1, not 0"
            ])
        #expect(
            Self.schema.violations(of: ["request": "x", "stepz": 3]).first?.message.contains(
                "known: a/b~c, areas, mode, ratio, request, steps, version") == true)
        #expect(Self.schema.violations(of: 5).first?.message == "must be an object, not the number 5")
        #expect(
            Self.schema.violations(of: ["request": "x", "mode": 1]).first?.message
                == #"must be one of "fast", "careful""#)
    }

    @Test func violationsStopAtTheLimit() {
        let many = JSONSchema(["type": "array", "items": ["type": "string"]])
        #expect(many.violations(of: .array(Array(repeating: 1, count: 1000))).count == 10)
        #expect(many.violations(of: .array(Array(repeating: 1, count: 1000)), limit: 3).count == 3)
    }

    @Test func outsideNumbersNeverTrap() {
        let integer = JSONSchema(["type": "integer", "minimum": 0, "maximum": 10])
        for number in [Double.nan, .infinity, -.infinity, 1e308, -1e308, 5e-324, -0.0] {
            _ = integer.violations(of: .number(number))
        }
        #expect(!integer.violations(of: .number(.infinity)).isEmpty)
        #expect(integer.violations(of: .number(-0.0)).isEmpty)
    }

    @Test func keywordsThatAreNotCheckedAreFound() {
        #expect(Self.schema.unsupportedKeywords.isEmpty)
        let loose = JSONSchema([
            "type": "object", "pattern": "^a",
            "properties": ["x": ["oneOf": [], "items": ["$ref": "#/x"]]],
            "title": "fine", "description": "fine",
        ])
        #expect(loose.unsupportedKeywords == ["$ref", "oneOf", "pattern"])
    }

    @Test func aFalseSchemaAllowsNothing() {
        #expect(JSONSchema(false).violations(of: 1).count == 1)
        #expect(JSONSchema(["additionalProperties": false]).violations(of: ["x": 1]).map(\.path) == ["/x"])
        #expect(
            JSONSchema(["additionalProperties": ["type": "integer"]]).violations(of: ["x": 1, "y": "no"]).map(\.path)
                == ["/y"])
    }
}
