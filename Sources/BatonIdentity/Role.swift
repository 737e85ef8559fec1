import Foundation

/// What a caller may do with the API. `admin` may do everything, keys included.
public enum Role: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
    case submit, read, answer, cancel, admin

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Roles from a comma-separated list (`submit,read`), or which name is not a role.
    public static func parse(_ text: String) -> Result<Set<Role>, RoleParseError> {
        var roles: Set<Role> = []
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !name.isEmpty {
            guard let role = Role(rawValue: name) else { return .failure(RoleParseError(unknown: name)) }
            roles.insert(role)
        }
        return roles.isEmpty ? .failure(RoleParseError(unknown: nil)) : .success(roles)
    }

    public static let list = allCases.map(\.rawValue).joined(separator: ", ")
}

public struct RoleParseError: Error, CustomStringConvertible, Sendable {
    public let unknown: String?

    public var description: String {
        unknown.map { "unknown role '\($0)'; roles are \(Role.list)" } ?? "at least one role is needed (\(Role.list))"
    }
}

extension Set where Element == Role {
    /// Whether these roles allow `role` (an admin's allow everything).
    public func allow(_ role: Role) -> Bool { contains(role) || contains(.admin) }

    /// `submit,read`, in the roles' order: how roles are stored and shown.
    public var text: String { sorted().map(\.rawValue).joined(separator: ",") }
}
