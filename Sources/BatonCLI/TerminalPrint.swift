import BatonSchedulerClient
import Foundation

/// Every line the CLI prints goes through `TerminalText.safe`: much of it is text
/// from outside (ids, callers, questions, reports, a model's answer).
/// Flushed at once: a piped `baton watch` is read by another program as it goes.
func terminalPrint(_ text: String, terminator: String = "\n") {
    print(TerminalText.safe(text), terminator: terminator)
    fflush(nil)  // every stream: `stdout` itself is not concurrency-safe to name
}
