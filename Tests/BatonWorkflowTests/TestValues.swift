import BatonContracts

extension InterruptRequest {
    /// A plain question, for tests.
    static func asking(_ question: String) -> InterruptRequest {
        InterruptRequest(title: "question", question: question)
    }
}

extension ActivityFailure {
    /// The error a cancelled workflow ends with.
    static func cancelled(_ reason: String) -> ActivityFailure {
        ActivityFailure(kind: "cancelled", message: reason, retryable: false)
    }
}
