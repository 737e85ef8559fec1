import Foundation

/// The wait a provider asks for in `Retry-After`: delta-seconds (`"30"`, `"1.5"`) or an
/// HTTP date. Outside data: nonsense, negative, infinite or enormous values must not
/// trap the worker, so they are read as "no wait asked" or saturated.
enum RetryAfter {
    /// Longer than any cap anyone configures, short enough to convert without overflow.
    static let longest: Double = 366 * 24 * 3600

    static func parse(_ header: String?, now: Date) -> Duration? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text) {
            guard !seconds.isNaN else { return nil }
            return .seconds(min(max(seconds, 0), longest))
        }
        guard let date = httpDate.date(from: text) else { return nil }
        return .seconds(min(max(date.timeIntervalSince(now), 0), longest))
    }

    /// IMF-fixdate, the form RFC 9110 requires senders to use.
    private static var httpDate: DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter
    }
}

extension Duration {
    /// Whole and fractional seconds, for messages.
    var secondsValue: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
