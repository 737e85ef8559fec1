/// Work that arrives while a transaction of it is running waits and goes together in
/// the next one (group commit): a burst costs a few large transactions instead of many
/// small ones, and a caller alone waits for nobody.
///
/// Each caller hands over its inputs and gets their outputs, in order, as if it had
/// committed alone. A merged transaction that fails is tried again caller by caller,
/// so that one caller's bad input fails that caller only.
actor GroupCommit<Input: Sendable, Output: Sendable> {
    typealias Commit = @Sendable ([Input]) async throws -> [Output]

    private let commit: Commit
    private let maximumInputs: Int
    private var waiting: [(inputs: [Input], caller: CheckedContinuation<[Output], any Error>)] = []
    private var committing = false

    /// `commit` returns one output per input, in order. A transaction takes callers
    /// until it holds `maximumInputs` (at least one caller, whatever its size).
    init(maximumInputs: Int, commit: @escaping Commit) {
        self.commit = commit
        self.maximumInputs = max(1, maximumInputs)
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
                var outputs = try await commit(batch.flatMap(\.inputs))[...]
                for entry in batch {
                    entry.caller.resume(returning: Array(outputs.prefix(entry.inputs.count)))
                    outputs = outputs.dropFirst(entry.inputs.count)
                }
            } catch  where batch.count > 1 {
                for entry in batch {
                    do {
                        entry.caller.resume(returning: try await commit(entry.inputs))
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
