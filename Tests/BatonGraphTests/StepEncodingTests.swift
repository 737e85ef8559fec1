import BatonContracts
import Foundation
import Testing

@testable import BatonGraph

/// A state with every kind of field the step encoding treats its own way: a list of
/// `Equatable` records (appended), a list of records that are not `Equatable` (encoded
/// whole), a merged dictionary, a custom counter, a replaced string and optional.
struct Ledger: GraphState, Equatable {
    struct Entry: Codable, Sendable, Hashable {
        var text: String
        var amount: Int
    }

    /// Codable but not Equatable: the runtime cannot compare it, only its JSON.
    struct Opaque: Codable, Sendable {
        var text: String
    }

    var entries: [Entry] = []
    var opaque: [Opaque] = []
    var tags: [String: String] = [:]
    var count = 0
    var title = ""
    var note: String?

    static let reducers: [String: Reducer] = [
        "entries": .append, "opaque": .append, "tags": .merge,
        "count": .custom { current, input, output in
            .number((current?.numberValue ?? 0) + (output.numberValue ?? 0) - (input?.numberValue ?? 0))
        },
    ]

    static func == (a: Ledger, b: Ledger) -> Bool {
        (try? JSONValueCoding.encode(a)) == (try? JSONValueCoding.encode(b))
    }
}

/// A state that encodes through a nested container: its fields cannot be captured, so it
/// is encoded whole.
struct NestedLedger: GraphState {
    var entries: [String] = []
    static let reducers: [String: Reducer] = ["entries": .append]

    private enum Keys: String, CodingKey { case inner, entries }

    init(entries: [String] = []) { self.entries = entries }

    init(from decoder: any Decoder) throws {
        let inner = try decoder.container(keyedBy: Keys.self).nestedContainer(keyedBy: Keys.self, forKey: .inner)
        entries = try inner.decode([String].self, forKey: .entries)
    }

    func encode(to encoder: any Encoder) throws {
        var outer = encoder.container(keyedBy: Keys.self)
        var inner = outer.nestedContainer(keyedBy: Keys.self, forKey: .inner)
        try inner.encode(entries, forKey: .entries)
    }
}

/// A state that encodes one key twice: what the whole encoding makes of that is the
/// encoder's (it extends the first list with the second), so it is encoded whole.
struct TwiceEncodedLedger: GraphState {
    var entries: [String] = []
    var more: [String] = []
    static let reducers: [String: Reducer] = ["entries": .append]

    private enum Keys: String, CodingKey { case entries }

    init(entries: [String] = [], more: [String] = []) {
        self.entries = entries
        self.more = more
    }

    init(from decoder: any Decoder) throws {
        entries = try decoder.container(keyedBy: Keys.self).decode([String].self, forKey: .entries)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Keys.self)
        try container.encode(entries, forKey: .entries)
        try container.encode(more, forKey: .entries)
    }
}

/// A step's output encoded field by field (`StateCoding.encode(_:receivedAs:json:)`) is
/// what encoding the whole output and comparing JSON gives: the same JSON, the same
/// writes, and the same delta as `StateDelta.between`.
@Suite struct StepEncodingTests {
    static let received = Ledger(
        entries: [.init(text: "first", amount: 1), .init(text: "second", amount: 2)],
        opaque: [.init(text: "kept")], tags: ["keep": "k", "drop": "d"], count: 3, title: "before", note: "note")

    static let edits: [(String, @Sendable (inout Ledger) -> Void)] = [
        ("nothing", { _ in }),
        ("one entry appended", { $0.entries.append(.init(text: "third", amount: 3)) }),
        (
            "two entries appended",
            { $0.entries += [.init(text: "third", amount: 3), .init(text: "fourth", amount: 4)] }
        ),
        ("an entry removed (the list rewritten)", { $0.entries = Array($0.entries.dropFirst()) }),
        ("an entry changed in place", { if !$0.entries.isEmpty { $0.entries[0].amount = 10 } }),
        ("the list emptied", { $0.entries = [] }),
        ("an opaque record appended", { $0.opaque.append(.init(text: "new")) }),
        ("the opaque list rewritten", { $0.opaque = [.init(text: "other")] }),
        ("a tag added", { $0.tags["new"] = "n" }),
        ("a tag removed", { $0.tags["drop"] = nil }),
        ("the counter moved", { $0.count += 2 }),
        ("the title replaced", { $0.title = "after" }),
        ("the note cleared", { $0.note = nil }),
        (
            "everything at once",
            {
                $0.entries.append(.init(text: "third", amount: 3))
                $0.opaque.append(.init(text: "new"))
                $0.tags = ["keep": "changed"]
                $0.count = 0
                $0.title = "after"
                $0.note = nil
            }
        ),
    ]

    @Test(arguments: 0..<edits.count) func aFieldByFieldEncodingEqualsEncodingTheWholeState(edit: Int) throws {
        let (name, change) = Self.edits[edit]
        for input in [Self.received, Ledger()] {
            var output = input
            change(&output)
            let inputJSON = try JSONValueCoding.encode(input)
            let wholeJSON = try JSONValueCoding.encode(output)

            let encoded = try StateCoding.encode(output, receivedAs: input, json: inputJSON)
            #expect(encoded.json == wholeJSON, "\(name)")
            #expect(encoded.writes == StateCoding<Ledger>.writes(input: inputJSON, output: wholeJSON), "\(name)")
            #expect(encoded.delta == StateDelta.between(inputJSON, wholeJSON), "\(name)")
            #expect(encoded.delta.applied(to: inputJSON) == wholeJSON, "\(name)")
        }
    }

    /// Of a list a node extended, only the new elements are encoded: the elements it kept
    /// are the JSON values the state had (the same storage), and the write and the delta
    /// carry the new ones only.
    @Test func anExtendedListKeepsTheJSONOfItsElementsAndWritesTheNewOnes() throws {
        let inputJSON = try JSONValueCoding.encode(Self.received)
        var output = Self.received
        output.entries.append(.init(text: "third", amount: 3))
        let encoded = try StateCoding.encode(output, receivedAs: Self.received, json: inputJSON)
        let third: JSONValue = ["text": "third", "amount": 3]
        #expect(encoded.writes == ["entries": [third]])
        #expect(encoded.delta == StateDelta([.append(field: "entries", items: [third])]))
        #expect(encoded.json["entries"]?.arrayValue?.dropLast() == inputJSON["entries"]?.arrayValue?[...])
    }

    /// A state whose fields cannot be captured (a nested container) is encoded whole, with
    /// the same outcome.
    @Test func aStateThatIsNotOneKeyedContainerIsEncodedWhole() throws {
        let input = NestedLedger(entries: ["a"])
        let output = NestedLedger(entries: ["a", "b"])
        #expect(StateFields(input) == nil)
        let inputJSON = try JSONValueCoding.encode(input)
        let wholeJSON = try JSONValueCoding.encode(output)
        let encoded = try StateCoding.encode(output, receivedAs: input, json: inputJSON)
        #expect(encoded.json == wholeJSON)
        #expect(encoded.writes == StateCoding<NestedLedger>.writes(input: inputJSON, output: wholeJSON))
        #expect(encoded.delta == StateDelta.between(inputJSON, wholeJSON))
    }

    @Test func aStateThatEncodesAKeyTwiceIsEncodedWhole() throws {
        let input = TwiceEncodedLedger(entries: ["a"], more: ["x"])
        let output = TwiceEncodedLedger(entries: ["a", "b"], more: ["x"])
        let inputJSON = try JSONValueCoding.encode(input)
        let wholeJSON = try JSONValueCoding.encode(output)
        let encoded = try StateCoding.encode(output, receivedAs: input, json: inputJSON)
        #expect(encoded.json == wholeJSON)
        #expect(encoded.writes == StateCoding<TwiceEncodedLedger>.writes(input: inputJSON, output: wholeJSON))
    }

    /// A list whose elements' bytes differ from the received ones (equal values held in
    /// other storage) is still recognised as extended, by `==`.
    @Test func aListOfEqualElementsInOtherStorageIsStillExtended() throws {
        let input = Ledger(entries: [.init(text: String(repeating: "x", count: 40), amount: 1)])
        var output = Ledger(entries: [.init(text: String(repeating: "x", count: 40), amount: 1)])
        output.entries.append(.init(text: "new", amount: 2))
        let inputJSON = try JSONValueCoding.encode(input)
        let encoded = try StateCoding.encode(output, receivedAs: input, json: inputJSON)
        #expect(encoded.writes == ["entries": [["text": "new", "amount": 2]]])
        #expect(encoded.json == (try JSONValueCoding.encode(output)))
    }
}
