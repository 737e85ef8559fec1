import BatonIdentity
import Testing

@Suite struct APIKeyTokenTests {
    @Test func aGeneratedKeyParsesBackAndHashesToItsEntry() throws {
        let key = APIKeyToken.generate()
        #expect(key.text.hasPrefix("bk_\(key.id)_"))
        #expect(key.text.count == 3 + 16 + 1 + 64)
        let parsed = try #require(APIKeyToken(parsing: key.text))
        #expect(parsed == key)
        #expect(APIKeyToken.isSHA256(key.sha256))
        #expect(APIKeyToken.generate() != key)
        #expect(!"\(key)".contains(key.text.suffix(64)))  // descriptions never show the secret
    }

    @Test func theHashIsSHA256OfTheWholeKey() {
        // printf %s 'bk_0123456789abcdef_' + 64 × '0' | sha256sum
        let text = "bk_0123456789abcdef_" + String(repeating: "0", count: 64)
        #expect(APIKeyToken(parsing: text)?.sha256 == APIKeyToken.sha256(of: text))
        #expect(APIKeyToken.sha256(of: "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func anythingElseIsNoKey() {
        for text in [
            "", "bk_", "bk_0123456789abcdef", "bk_0123456789ABCDEF_" + String(repeating: "0", count: 64),
            "bk_0123456789abcdef_" + String(repeating: "0", count: 63),
            "xx_0123456789abcdef_" + String(repeating: "0", count: 64),
            "bk_0123456789abcdef_" + String(repeating: "0", count: 64) + "_", "eyJhbGciOiJSUzI1NiJ9.e30.sig",
        ] {
            #expect(APIKeyToken(parsing: text) == nil, "\(text)")
        }
    }

    @Test func hashesCompareWhateverTheirLength() {
        #expect(APIKeyToken.sameHash("abc", "abc"))
        #expect(!APIKeyToken.sameHash("abc", "abd"))
        #expect(!APIKeyToken.sameHash("abc", "abcd"))
    }
}

@Suite struct RoleTests {
    @Test func rolesParseFromAListAndAnAdministratorMayDoAll() throws {
        let roles = try Role.parse("submit, read").get()
        #expect(roles == [.submit, .read])
        #expect(roles.allow(.read) && !roles.allow(.cancel))
        #expect(Set([Role.admin]).allow(.cancel))
        #expect(roles.text == "submit,read")
        #expect(throws: RoleParseError.self) { try Role.parse("submit,root").get() }
        #expect(throws: RoleParseError.self) { try Role.parse(" , ").get() }
        if case .failure(let error) = Role.parse("root") {
            #expect("\(error)" == "unknown role 'root'; roles are submit, read, answer, cancel, admin")
        }
    }

    @Test func tenantNamesAreShortAndPlain() {
        for good in ["default", "acme", "a", "team-7.eu_west"] { #expect(TenantName.isValid(good), "\(good)") }
        for bad in ["", "-x", ".x", "a b", "é", "a/b", String(repeating: "a", count: 65), "a\n"] {
            #expect(!TenantName.isValid(bad), "\(bad)")
        }
    }
}
