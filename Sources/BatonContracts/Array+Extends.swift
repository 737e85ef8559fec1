import Foundation

extension Array where Element: Equatable {
    /// Whether this array is `earlier` with nothing or more after it: its first elements
    /// are `earlier`'s.
    ///
    /// When a graph step extends a list, the elements it kept are the very values the list
    /// had, bit for bit (the same string storage, the same object references), so their
    /// bytes are compared first: a list of n records costs a `memcmp` instead of n `==`
    /// (each ~100 ns where `Element` is not known at compile time). Equal bytes are the
    /// same value; where the bytes differ (equal values held elsewhere, padding), `==`
    /// decides.
    package func extends(_ earlier: [Element]) -> Bool {
        guard count >= earlier.count else { return false }
        let sameBytes = withUnsafeBytes { list in
            earlier.withUnsafeBytes { prefix in
                prefix.isEmpty || memcmp(list.baseAddress!, prefix.baseAddress!, prefix.count) == 0
            }
        }
        return sameBytes || starts(with: earlier)
    }
}
