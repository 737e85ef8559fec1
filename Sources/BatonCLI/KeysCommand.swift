import ArgumentParser
import BatonContracts
import BatonIdentity
import BatonSchedulerClient
import Foundation

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Make, list and revoke API keys.",
        discussion: """
            'generate' makes a key without a scheduler, for the scheduler's configuration
            (api_keys): it prints the key, which only its holder should keep, and the entry
            (with the key's SHA-256, not the key) to add. 'create', 'list' and 'revoke' ask the
            scheduler, with a key that has the role admin, about keys of its tenant.
            """,
        subcommands: [Generate.self, Create.self, List.self, Revoke.self])

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key for the scheduler's configuration (no scheduler needed).")

        @Option(help: "Who or what holds the key; the caller of what it submits.") var name: String
        @Option(help: "The tenant the key acts in.") var tenant = TenantName.initial
        @Option(help: "Comma-separated roles: \(Role.list).") var roles: String
        @Flag(
            help:
                "Print BATON_API_KEY=… and BATON_ADMIN_KEY_SHA256=… lines for a shell (an admin key of the initial tenant)."
        )
        var shell = false

        func validate() throws {
            if shell, tenant != TenantName.initial || roles != "admin" {
                throw ValidationError(
                    "--shell makes the administrator key of BATON_ADMIN_KEY_SHA256: use --roles admin and the initial tenant"
                )
            }
            if !TenantName.isValid(tenant) { throw ValidationError("--tenant must be \(TenantName.rule)") }
            if case .failure(let error) = Role.parse(roles) { throw ValidationError("--roles: \(error)") }
            if name.isEmpty || name.count > 128 || name.contains("\"") || name.contains("\n") {
                throw ValidationError("--name must be 1 to 128 characters, without quotes or newlines")
            }
        }

        func run() throws {
            let token = APIKeyToken.generate()
            if shell {
                terminalPrint("BATON_API_KEY=\(token.text)")
                terminalPrint("BATON_ADMIN_KEY_SHA256=\(token.sha256)")
                return
            }
            let parsed = (try? Role.parse(roles).get()) ?? []
            terminalPrint("key (give it to its holder; it is not stored anywhere):")
            terminalPrint("  \(token.text)")
            terminalPrint("entry for api_keys in the scheduler's configuration:")
            terminalPrint(
                "  - {name: \"\(name)\", tenant: \(tenant), roles: [\(parsed.sorted().map(\.rawValue).joined(separator: ", "))], sha256: \(token.sha256)}"
            )
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a key of your tenant (role admin).")

        @OptionGroup var scheduler: SchedulerOptions
        @OptionGroup var output: OutputOptions
        @Option(help: "Who or what holds the key; the caller of what it submits.") var name: String
        @Option(help: "Comma-separated roles: \(Role.list).") var roles: String

        func validate() throws {
            if case .failure(let error) = Role.parse(roles) { throw ValidationError("--roles: \(error)") }
        }

        func run() async throws {
            let roles = (try? Role.parse(roles).get()) ?? []
            let created = try await scheduler.client.createKey(name: name, roles: roles.sorted().map(\.rawValue))
            if output.json { return try output.printJSON(created) }
            terminalPrint(
                "key \(created.key.id) for \(created.key.name) in tenant \(created.key.tenant) (\(created.key.roles.joined(separator: ",")))"
            )
            terminalPrint(created.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Your tenant's keys (role admin).")

        @OptionGroup var scheduler: SchedulerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let keys = try await scheduler.client.listKeys()
            if output.json { return try output.printJSON(keys) }
            for key in keys {
                let state = key.revokedAt.map { "revoked \(ISO8601DateFormatter().string(from: $0))" } ?? "active"
                terminalPrint("\(key.id)  \(key.name)  \(key.roles.joined(separator: ","))  \(key.source)  \(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key of your tenant (role admin).")

        @OptionGroup var scheduler: SchedulerOptions
        @OptionGroup var output: OutputOptions
        @Argument(help: "The key's id (the part after 'bk_', as 'baton keys list' shows it).") var id: String

        func run() async throws {
            let key = try await scheduler.client.revokeKey(id)
            if output.json { return try output.printJSON(key) }
            terminalPrint("revoked \(key.id) (\(key.name))")
        }
    }
}
