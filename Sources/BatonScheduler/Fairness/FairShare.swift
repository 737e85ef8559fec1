/// Which tenants' held run commands go next, when `free` worker slots are open: one
/// at a time to the tenant whose running workflows, divided by its weight, are
/// fewest (ties to the tenant whose oldest command has waited longest), skipping a
/// tenant at its `max_running`. Pure, so that the dispatch gate's choice is tested
/// without a database.
enum FairShare {
    struct Tenant: Sendable, Hashable {
        var name: String
        /// Held commands.
        var waiting: Int
        /// Workflows running or on their way to a worker, not counting the held.
        var running: Int
        /// The id of its oldest held command (lower waited longer).
        var oldest: Int
    }

    /// How many commands of each tenant to release.
    static func release(_ tenants: [Tenant], free: Int, policy: FairnessConfiguration) -> [String: Int] {
        var tenants = tenants.filter { $0.waiting > 0 }
        var released: [String: Int] = [:]
        var free = free
        while free > 0 {
            let open = tenants.indices.filter { index in
                let tenant = tenants[index]
                guard tenant.waiting > 0 else { return false }
                guard let limit = policy.maxRunning(of: tenant.name) else { return true }
                return tenant.running < limit
            }
            guard
                let next = open.min(by: { a, b in
                    let shareA = Double(tenants[a].running) / policy.weight(of: tenants[a].name)
                    let shareB = Double(tenants[b].running) / policy.weight(of: tenants[b].name)
                    return shareA != shareB ? shareA < shareB : tenants[a].oldest < tenants[b].oldest
                })
            else { break }
            tenants[next].waiting -= 1
            tenants[next].running += 1
            released[tenants[next].name, default: 0] += 1
            free -= 1
        }
        return released
    }
}
