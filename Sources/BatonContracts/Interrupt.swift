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

/// A person's answer: one of the choices, free text, or both.
public struct InterruptAnswer: Sendable, Hashable, Codable {
    public var choice: String?
    public var text: String?

    public init(choice: String? = nil, text: String? = nil) {
        self.choice = choice
        self.text = text
    }
}
