import Synchronization

/// The last text a recurring check warned of.
final class LastWarning: Sendable {
    private let last = Mutex<String?>(nil)

    /// Records `text`; true when it differs from the last one recorded.
    func changed(to text: String?) -> Bool {
        last.withLock { last in
            defer { last = text }
            return last != text
        }
    }
}
