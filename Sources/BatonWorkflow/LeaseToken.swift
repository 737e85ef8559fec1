/// Comparison of an event's lease token with the attempt's.
public enum LeaseToken {
    /// True when `presented` equals `expected`. Takes the same time whatever the first
    /// differing byte, so that timing reveals nothing about the secret.
    public static func matches(_ expected: String, _ presented: String?) -> Bool {
        guard let presented else { return false }
        let a = Array(expected.utf8)
        let b = Array(presented.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            let x = index < a.count ? a[index] : 0
            let y = index < b.count ? b[index] : 0
            difference |= x ^ y
        }
        return difference == 0 && a.count == b.count
    }
}
