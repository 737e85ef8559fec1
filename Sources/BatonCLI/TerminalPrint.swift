import BatonSchedulerClient

/// Every line the CLI prints goes through `TerminalText.safe`: much of it is text
/// from outside (ids, callers, questions, reports, a model's answer).
func terminalPrint(_ text: String, terminator: String = "\n") {
    print(TerminalText.safe(text), terminator: terminator)
}
