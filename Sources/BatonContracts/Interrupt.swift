/// What a graph asks a person when it needs a decision.
public struct InterruptRequest: Sendable, Hashable, Codable {
    public struct Choice: Sendable, Hashable, Codable {
        public var id: String
        public var label: String

        public init(id: String, label: String) {
            self.id = id
            self.label = label
        }
    }

    public var title: String
    public var question: String
    public var choices: [Choice]
    public var allowsFreeText: Bool
    public var metadata: JSONValue?
    /// Set when the graph waits for a child workflow rather than a person: the
    /// scheduler answers with the child's `ChildWorkflowOutcome` when the child ends,
    /// and refuses answers from anyone else.
    public var childWorkflowId: String?

    public init(
        title: String, question: String, choices: [Choice] = [], allowsFreeText: Bool = true,
        metadata: JSONValue? = nil,
        childWorkflowId: String? = nil
    ) {
        self.childWorkflowId = childWorkflowId
        self.title = title
        self.question = question
        self.choices = choices
        self.allowsFreeText = allowsFreeText
        self.metadata = metadata
    }
}

extension InterruptRequest {
    /// What is wrong with `answer` to this question, or nil when it fits: a choice must
    /// be one of those offered, and free text is refused where the question allows none.
    public func problem(with answer: JSONValue) -> String? {
        let offered = choices.map(\.id).joined(separator: ", ")
        let choice: String?
        let text: String?
        switch answer {
        case .null: return "the answer is empty" + (choices.isEmpty ? "" : "; choose one of: \(offered)")
        case .string(let value): (choice, text) = (nil, value)
        default: (choice, text) = (answer["choice"]?.stringValue, answer["text"]?.stringValue)
        }
        if let choice, !choices.isEmpty, !choices.contains(where: { $0.id == choice }) {
            return "'\(choice)' is not one of the choices offered: \(offered)"
        }
        if text != nil, !allowsFreeText {
            return "this question takes no free text" + (choices.isEmpty ? "" : "; choose one of: \(offered)")
        }
        return nil
    }
}

/// A person's answer: one of the choices, free text, or both.
public struct InterruptAnswer: Sendable, Hashable, Codable {
    public var choice: String?
    public var text: String?

    public init(choice: String? = nil, text: String? = nil) {
        self.choice = choice
        self.text = text
    }
}
