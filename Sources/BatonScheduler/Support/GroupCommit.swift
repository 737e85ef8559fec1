/// Work that arrives while a transaction of it is running waits and goes together in
/// the next one (group commit): a burst costs a few large transactions instead of many
/// small ones, and a caller alone waits for nobody.
///
/// Each caller hands over its inputs and gets their outputs, in order, as if it had
/// committed alone. A merged transaction that fails because of what it holds is tried
/// again caller by caller, so that one caller's bad input fails that caller only; one
/// that fails for a reason of its own (the database is down) fails every caller at
/// once, and each retries as it would alone, instead of queueing behind the others'
/// retries.
actor GroupCommit<Input: Sendable, Output: Sendable> {
    typealias Commit = @Sendable ([Input]) async throws -> [Output]

    private let commit: Commit
    private let maximumInputs: Int
    private let isTransient: @Sendable (any Error) -> Bool
    private var waiting: [(inputs: [Input], caller: CheckedContinuation<[Output], any Error>)] = []
    private var committing = false

    /// `commit` returns one output per input, in order. A transaction takes callers
    /// until it holds `maximumInputs` (at least one caller, whatever its size).
    /// `isTransient`: an error that another try of the same inputs may not meet.
    init(
        maximumInputs: Int, isTransient: @escaping @Sendable (any Error) -> Bool = { _ in false },
        commit: @escaping Commit
    ) {
        self.commit = commit
        self.maximumInputs = max(1, maximumInputs)
        self.isTransient = isTransient
    }

    /// Callers waiting for the next commit.
    var waitingCallers: Int { waiting.count }

    func run(_ inputs: [Input]) async throws -> [Output] {
        guard !inputs.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { caller in
            waiting.append((inputs, caller))
            if !committing {
                committing = true
                Task { await commitWaiting() }
            }
        }
    }

    private func commitWaiting() async {
        while !waiting.isEmpty {
            var count = 0
            let taken = waiting.prefix { entry in
                defer { count += entry.inputs.count }
                return count == 0 || count + entry.inputs.count <= maximumInputs
            }
            waiting.removeFirst(taken.count)
            let batch = Array(taken)
            do {
                let inputs = batch.flatMap(\.inputs)
                var outputs = try await commit(inputs)[...]
                guard outputs.count == inputs.count else { throw MissingOutputs(inputs: inputs.count) }
                for entry in batch {
                    entry.caller.resume(returning: Array(outputs.prefix(entry.inputs.count)))
                    outputs = outputs.dropFirst(entry.inputs.count)
                }
            } catch  where batch.count > 1 && !isTransient(error) {
                for entry in batch {
                    do {
                        let outputs = try await commit(entry.inputs)
                        guard outputs.count == entry.inputs.count else {
                            throw MissingOutputs(inputs: entry.inputs.count)
                        }
                        entry.caller.resume(returning: outputs)
                    } catch {
                        entry.caller.resume(throwing: error)
                    }
                }
            } catch {
                for entry in batch { entry.caller.resume(throwing: error) }
            }
        }
        committing = false
    }
}

/// A commit that answered fewer or more outputs than it was given inputs (a bug): its
/// callers get this instead of outputs that belong to others.
struct MissingOutputs: Error, CustomStringConvertible {
    var inputs: Int
    var description: String { "a group commit of \(inputs) inputs did not answer one output for each" }
}
