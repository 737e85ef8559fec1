/// A count the provider reports (tokens, a tool call's index) as a JSON number: outside
/// data, so a negative, fractional, infinite or enormous value must not trap the worker.
enum TokenCount {
    /// More than any real answer uses, small enough that sums over a long run never overflow.
    static let largest = 1_000_000_000

    static func from(_ value: Double?) -> Int {
        guard let value, value.isFinite, value > 0 else { return 0 }
        return value >= Double(largest) ? largest : Int(value)
    }
}
