/// Tenants' names: they appear in keys' listings, logs and tokens' claims.
public enum TenantName {
    public static let rule =
        "1 to 64 characters among letters, digits, '-', '_' and '.', starting with a letter or digit"
    /// The tenant of workflows made before tenants existed, and of `BATON_ADMIN_KEY_SHA256`.
    public static let initial = "default"

    public static func isValid(_ name: String) -> Bool {
        guard let first = name.utf8.first, name.utf8.count <= 64 else { return false }
        func allowed(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        return allowed(first) && name.utf8.allSatisfy { allowed($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }
}
