import BatonContracts
import BatonIdentity

/// A key of the scheduler's configuration (`api_keys:`): only its hash is written
/// there, so the file gives nobody the key. `baton keys generate` makes one.
public struct ConfiguredAPIKey: Sendable, Codable, Equatable {
    public var name: String
    public var tenant: String
    public var roles: [String]
    /// The SHA-256 of the whole key, in lower-case hex.
    public var sha256: String

    public init(name: String, tenant: String, roles: [String], sha256: String) {
        self.name = name
        self.tenant = tenant
        self.roles = roles
        self.sha256 = sha256
    }

    /// The administrator key `BATON_ADMIN_KEY_SHA256` names (`baton dev`, compose).
    public static func administrator(sha256: String) -> ConfiguredAPIKey {
        ConfiguredAPIKey(
            name: "admin", tenant: TenantName.initial, roles: [Role.admin.rawValue], sha256: sha256.lowercased())
    }

    /// What is wrong with the entry, if anything.
    func problem(at index: Int) -> String? {
        let place = "api_keys[\(index)] (\(name))"
        if name.isEmpty || name.count > 128 { return "\(place): name must be 1 to 128 characters" }
        if !TenantName.isValid(tenant) { return "\(place): tenant must be \(TenantName.rule)" }
        if case .failure(let error) = Role.parse(roles.joined(separator: ",")) { return "\(place): \(error)" }
        if !APIKeyToken.isSHA256(sha256) {
            return
                "\(place): sha256 must be the 64 lower-case hex digits of the key's SHA-256 (as 'baton keys generate' prints it)"
        }
        return nil
    }

    var principal: Principal {
        Principal(
            subject: name, tenant: tenant,
            roles: (try? Role.parse(roles.joined(separator: ",")).get()) ?? [], delegatedBy: nil)
    }

    var view: APIKeyView {
        APIKeyView(
            id: "config:\(name)", name: name, tenant: tenant, roles: roles.sorted(), source: "config")
    }
}
