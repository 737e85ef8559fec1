extension AsyncThrowingStream where Element == ChatStreamEvent, Failure == any Error {
    /// The events `produce` emits, produced in a task of their own that the consumer's
    /// cancellation cancels (aborting the transfer); `mapError` turns what `produce`
    /// throws into what the consumer sees.
    static func producing(
        mapError: @escaping @Sendable (any Error) -> any Error = { $0 },
        _ produce: @escaping @Sendable (_ emit: @escaping @Sendable (ChatStreamEvent) -> Void) async throws -> Void
    ) -> Self {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await produce { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: mapError(error))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
