import MQTTAuthServer
import Testing

/// `cors.allowed_origins` (README "From a browser").
@Suite("CORS configuration")
struct CORSConfigurationTests {
    @Test func noOriginIsAllowedByDefault() throws {
        let configuration = try ConfigFixture.load("providers: []\n")
        #expect(configuration.cors.allowedOrigins.isEmpty)
        #expect(configuration.cors.allowedOrigin("https://app.example.com") == nil)
    }

    @Test func allowedOriginsAreRead() throws {
        let origins = ["https://app.example.com", "http://localhost:5173", "https://127.0.0.1:8443", "http://[::1]:3000", "https://xn--bcher-kva.example"]
        let configuration = try ConfigFixture.load(
            """
            cors:
              allowed_origins:
            \(origins.map { "    - \"\($0)\"" }.joined(separator: "\n"))
            providers: []
            """
        )
        #expect(configuration.cors.allowedOrigins == origins)
        #expect(configuration.cors.allowedOrigin("https://app.example.com") == "https://app.example.com")
        #expect(configuration.cors.allowedOrigin("https://app.example.com/") == nil)
        #expect(configuration.cors.allowedOrigin(nil) == nil)
    }

    @Test(arguments: [
        ("https://app.example.com/", "no path, not even a trailing slash"),
        ("https://app.example.com/login", "no path"),
        ("app.example.com", "starts with https:// or http://"),
        ("ftp://app.example.com", "starts with https:// or http://"),
        ("HTTPS://app.example.com", "starts with https:// or http://"),
        ("https://App.Example.com", "lower-case"),
        ("https://", "not a host name"),
        ("https://app..example.com", "not a host name"),
        ("https://app_example.com", "not a host name"),
        ("https://app.example.com:", "port must be a number"),
        ("https://app.example.com:99999", "port must be a number"),
        ("https://app.example.com:443", "drop ':443'"),
        ("http://app.example.com:80", "drop ':80'"),
        ("https://app.example.com?x=1", "no query"),
        ("https://user@app.example.com", "no user name"),
        ("https://[::1", "closing ]"),
        ("https://[zz]", "not an IPv6 address"),
        ("*", "list each origin"),
        ("null", "list each origin"),
    ])
    func aBadOriginIsAnErrorOnItsLine(_ origin: String, _ message: String) throws {
        let found = try ConfigFixture.errors(
            """
            providers: []
            cors:
              allowed_origins:
                - "https://fine.example.com"
                - "\(origin)"
            """
        )
        #expect(found.count == 1)
        let expectedPrefix = "5: cors.allowed_origins: '\(origin)' is not an origin (scheme://host[:port]): "
        #expect(found.first?.hasPrefix(expectedPrefix) == true, "\(found)")
        #expect(found.first?.contains(message) == true, "\(found)")
    }

    @Test func theCORSSectionTakesOnlyAllowedOrigins() throws {
        let found = try ConfigFixture.errors(
            """
            providers: []
            cors:
              allowed_origin: ["https://app.example.com"]
              allowed_origins: "https://app.example.com"
            """
        )
        #expect(found == [
            "3: unknown key 'allowed_origin' in cors (known keys: allowed_origins)",
            "4: cors.allowed_origins must be a list",
        ])
    }
}
