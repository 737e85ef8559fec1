import Foundation

extension Double {
    /// The number without its fraction, as text; nil for NaN and the infinities. For
    /// numbers from outside (a heartbeat's percent, a figure in a checkpoint), where
    /// `Int(self)` would stop the process on 1e20 or NaN.
    public var wholeNumberText: String? {
        guard isFinite else { return nil }
        // Adding zero turns -0 into 0, so that -0.5 reads "0", as Int(-0.5) would.
        return String(format: "%.0f", rounded(.towardZero) + 0)
    }
}
