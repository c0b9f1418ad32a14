import Foundation
import MQTTAuthCore
import MQTTAuthServer
import TestSupport
import Testing

/// `providers:` of every type, as README "Identity providers" documents them, and the errors a
/// wrong entry gets, each with its line.
@Suite("Provider configuration")
struct ProviderConfigurationTests {
    @Test func everyTypeReadsItsKeys() throws {
        let configuration = try ConfigFixture.load(
            """
            providers:
              - name: firebase
                type: firebase
                project_id: demo-mqtt
                username: email
                allow_anonymous: true
              - name: auth0
                type: auth0
                domain: tenant.eu.auth0.com
                audience: "https://mqtt.example.com"
                username: sub
              - name: clerk
                type: clerk
                frontend_api: "https://clerk.example.com/"
                authorized_parties: ["https://app.example.com", "https://admin.example.com"]
              - name: oidc
                type: oidc
                issuer: "https://id.example.com/realms/iot"
                audience: mqtt
                algorithms: [RS256, PS256, EdDSA]
                credential_ttl: 900
              - name: keycloak
                type: oidc
                issuer: "https://kc.example.com/realms/a/"
                audience: mqtt
                jwks_url: "https://kc.example.com/realms/a/protocol/openid-connect/certs"
            """
        )
        let providers = Dictionary(uniqueKeysWithValues: configuration.providers.map { ($0.name, $0) })
        let firebase = try #require(providers["firebase"])
        #expect(firebase.type == .firebase)
        #expect(firebase.issuer == "https://securetoken.google.com/demo-mqtt")
        #expect(firebase.token.audience == "demo-mqtt")
        #expect(firebase.token.algorithms == [.rs256])
        #expect(firebase.keySource == .jwks(url: "https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com"))
        #expect(firebase.username == .email)
        #expect(firebase.allowAnonymous)
        #expect(firebase.credentialTTL == nil)

        let auth0 = try #require(providers["auth0"])
        #expect(auth0.issuer == "https://tenant.eu.auth0.com/")
        #expect(auth0.token.audience == "https://mqtt.example.com")
        #expect(auth0.token.algorithms == [.rs256, .ps256])
        #expect(auth0.keySource == .jwks(url: "https://tenant.eu.auth0.com/.well-known/jwks.json"))
        #expect(auth0.username == .uuid)

        let clerk = try #require(providers["clerk"])
        #expect(clerk.issuer == "https://clerk.example.com")
        #expect(clerk.token.audience == nil)
        #expect(clerk.token.authorizedParties == ["https://app.example.com", "https://admin.example.com"])
        #expect(clerk.keySource == .jwks(url: "https://clerk.example.com/.well-known/jwks.json"))
        #expect(clerk.credentialTTL == ProviderConfiguration.clerkCredentialTTL, "Clerk's minute-long tokens do not set the credential's life")

        let oidc = try #require(providers["oidc"])
        #expect(oidc.issuer == "https://id.example.com/realms/iot")
        #expect(oidc.token.algorithms == [.rs256, .ps256, .eddsa])
        #expect(oidc.keySource == .discovery(url: "https://id.example.com/realms/iot/.well-known/openid-configuration"))
        #expect(oidc.credentialTTL == 900)

        let keycloak = try #require(providers["keycloak"])
        #expect(keycloak.issuer == "https://kc.example.com/realms/a/", "the issuer is compared exactly, slash and all")
        #expect(keycloak.token.algorithms == [.rs256, .es256])
        #expect(keycloak.keySource == .jwks(url: "https://kc.example.com/realms/a/protocol/openid-connect/certs"))
    }

    @Test func aJWKSFileReplacesEveryKeySource() throws {
        let rsa = String(decoding: ProviderHTTPTests.jwks, as: UTF8.self)
        let configuration = try ConfigFixture.load(
            """
            providers:
              - {name: auth0, type: auth0, domain: t.auth0.com, audience: api, jwks_file: keys.json}
            """,
            files: ["keys.json": rsa]
        )
        #expect(configuration.providers.first?.keySource == .file)
    }

    @Test func wrongEntriesAreReportedWithTheirLines() throws {
        let found = try ConfigFixture.errors(
            """
            providers:
              - {name: a, type: okta}
              - {name: b, type: firebase}
              - {name: c, type: auth0, domain: t.auth0.com}
              - {name: d, type: oidc, audience: mqtt}
              - {name: e, type: clerk}
              - {name: f, type: oidc, issuer: "http://id.example.com", audience: mqtt}
              - {name: g, type: oidc, issuer: "https://id.example.com", audience: mqtt, algorithms: [RS256, HS256]}
              - {name: h, type: clerk, frontend_api: "ftp://clerk.example.com"}
              - {name: i, type: firebase, project_id: "demo/../x"}
              - {name: j, type: auth0, domain: t.auth0.com, audience: api, jwt_secret: "0123456789abcdef0123456789abcdef"}
              - {name: k, type: oidc, issuer: "https://id.example.com", audience: mqtt, username: nickname}
              - {name: l, type: clerk, frontend_api: "https://c.example.com", authorized_parties: []}
              - {name: m, type: oidc, issuer: "https://id.example.com", audience: mqtt, credential_ttl: 0}
              - {name: n, type: oidc, issuer: "https://id.example.com", audience: mqtt, algorithms: []}
              - {name: o, type: supabase, project_url: "https://o.supabase.co", project_id: x}
            """
        )
        #expect(found == [
            "2: provider type 'okta' does not exist (supabase, firebase, auth0, clerk, oidc)",
            "3: provider 'b' (firebase) needs project_id",
            "4: provider 'c' (auth0) needs audience",
            "5: provider 'd' (oidc) needs issuer",
            "6: provider 'e' (clerk) needs frontend_api",
            "7: issuer must be an https URL (plain http only to 127.0.0.1, ::1 or localhost), not 'http://id.example.com'",
            "8: algorithms: 'HS256' is not accepted (RS256, PS256, ES256, EdDSA; never HS*)",
            "9: frontend_api must be an https URL (plain http only to 127.0.0.1, ::1 or localhost), not 'ftp://clerk.example.com'",
            "10: project_id must be a Firebase project id (letters, digits and '-'), not 'demo/../x'",
            "11: 'jwt_secret' is not a key of type auth0",
            "12: username must be uuid (or sub) or email, not 'nickname'",
            "13: provider 'l': authorized_parties must list at least one non-empty value",
            "14: credential_ttl must be a whole number from 1 to 31536000, not '0'",
            "15: provider 'n': algorithms is empty",
            "16: 'project_id' is not a key of type supabase",
        ])
    }

    @Test func loopbackIssuersAreAllowedForTests() throws {
        let configuration = try ConfigFixture.load(
            """
            providers:
              - {name: local, type: oidc, issuer: "http://127.0.0.1:8999/realms/t", audience: mqtt}
              - {name: clerk, type: clerk, frontend_api: "http://localhost:3000"}
            """
        )
        #expect(configuration.providers.map(\.name) == ["local", "clerk"])
    }
}

@Suite("Provider attributes configuration")
struct ProviderAttributeConfigurationTests {
    @Test func declaredAttributesAreRead() throws {
        let configuration = try ConfigFixture.load(
            """
            providers:
              - name: supabase
                type: supabase
                project_url: "https://a.supabase.co"
                attributes: {org: app_metadata.org_id, roles: app_metadata.roles}
              - {name: clerk, type: clerk, frontend_api: "https://c.example.com", attributes: {plan: public_metadata.plan}}
            """
        )
        #expect(configuration.providers[0].attributes == [
            ClaimAttributes.Declaration(name: "org", path: ["app_metadata", "org_id"]),
            ClaimAttributes.Declaration(name: "roles", path: ["app_metadata", "roles"]),
        ])
        #expect(configuration.providers[1].attributes == [ClaimAttributes.Declaration(name: "plan", path: ["public_metadata", "plan"])])
    }

    @Test func userEditableClaimsAndBadNamesAreRefusedWithTheirLines() throws {
        let found = try ConfigFixture.errors(
            """
            providers:
              - name: supabase
                type: supabase
                project_url: "https://a.supabase.co"
                attributes:
                  org: user_metadata.org_id
                  Team: app_metadata.team
                  9lives: app_metadata.cat
                  path: "app_metadata..x"
                  list: [a, b]
              - {name: clerk, type: clerk, frontend_api: "https://c.example.com", attributes: {plan: unsafe_metadata.plan}}
            """
        )
        #expect(found == [
            "6: attribute 'org': user_metadata is edited by users themselves; read attributes only from claims the server sets",
            "7: attribute name 'Team' must be lower-case letters, digits and '_', not starting with a digit",
            "8: attribute name '9lives' must be lower-case letters, digits and '_', not starting with a digit",
            "9: attribute 'path': 'app_metadata..x' is not a claim path (keys separated by dots)",
            "10: attribute 'list' must be a single value, not a list or mapping",
            "11: attribute 'plan': unsafe_metadata is edited by users themselves; read attributes only from claims the server sets",
        ])
    }
}
