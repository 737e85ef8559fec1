import Metrics
import Synchronization

/// A metrics backend for one test: counters by label and dimensions, read back as totals.
/// Passed to the client or gateway directly, so no process-wide bootstrap is needed.
final class RecordingMetricsFactory: MetricsFactory {
    private let counters = Mutex<[String: RecordedCounter]>([:])

    func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
        let key = Self.key(label, dimensions)
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = RecordedCounter()
            counters[key] = counter
            return counter
        }
    }

    func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
        NOOPMetricsHandler.instance
    }

    func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler { NOOPMetricsHandler.instance }
    func destroyCounter(_ handler: any CounterHandler) {}
    func destroyRecorder(_ handler: any RecorderHandler) {}
    func destroyTimer(_ handler: any TimerHandler) {}

    /// The counter's total so far; 0 when it was never made.
    func total(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        counters.withLock { $0[Self.key(label, dimensions)]?.total ?? 0 }
    }

    private static func key(_ label: String, _ dimensions: [(String, String)]) -> String {
        label + dimensions.sorted { $0.0 < $1.0 }.map { "|\($0.0)=\($0.1)" }.joined()
    }
}

final class RecordedCounter: CounterHandler {
    private let value = Mutex<Int64>(0)
    func increment(by amount: Int64) { value.withLock { $0 += amount } }
    func reset() { value.withLock { $0 = 0 } }
    var total: Int64 { value.withLock { $0 } }
}
