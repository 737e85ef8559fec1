import Synchronization

/// A value shared with `@Sendable` closures (the engine's clock, a fault plan).
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        value.withLock { body(&$0) }
    }

    var current: Value { value.withLock { $0 } }
}

extension Locked where Value == Int {
    /// True, and one less left, while any are left: "fail the next n times".
    func take() -> Bool {
        withLock { left in
            guard left > 0 else { return false }
            left -= 1
            return true
        }
    }
}
