import Foundation
import TestSupport
import Testing

/// Options that are missing or wrong stop Mosquitto at start, with the reason in its log,
/// rather than letting it run open.
@Suite("Plugin refuses bad options")
struct PluginStartupTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var options: [String]
        var config: String?
        var expected: String
        var testDescription: String { expected }
    }

    static let goodConfig = """
        acl:
          rules:
            - {user: "%", topic: "users/%u/#", permission: pubsub}
        """

    static let cases: [Case] = [
        Case(options: ["plugin_opt_acl sometimes"], expected: "plugin_opt_acl must be local, http or synced"),
        Case(options: ["plugin_opt_url ftp://127.0.0.1:21"], expected: "plugin_opt_url must look like"),
        Case(options: ["plugin_opt_url http://user:secret@127.0.0.1:8080"], expected: "plugin_opt_url must look like"),
        Case(options: ["plugin_opt_url http://127.0.0.1:8080,ftp://127.0.0.1:21"], expected: "plugin_opt_url must look like"),
        Case(options: ["plugin_opt_url http://127.0.0.1:8080,"], expected: "plugin_opt_url must look like"),
        Case(options: ["plugin_opt_url http://127.0.0.1:8080, http://127.0.0.1:8080/"], expected: "plugin_opt_url names http://127.0.0.1:8080 twice"),
        Case(options: ["plugin_opt_token_file /nonexistent/broker-token"], expected: "plugin_opt_token_file: cannot read /nonexistent/broker-token"),
        Case(options: ["plugin_opt_timeout_ms 0"], expected: "plugin_opt_timeout_ms must be a whole number"),
        Case(options: ["plugin_opt_timeout_ms soon"], expected: "plugin_opt_timeout_ms must be a whole number"),
        Case(options: ["plugin_opt_tiemout_ms 100"], expected: "unknown option plugin_opt_tiemout_ms"),
        Case(options: [], config: nil, expected: "plugin_opt_config is required"),
        Case(options: ["plugin_opt_config /nonexistent/mqtt-authd.yml"], config: nil, expected: "/nonexistent/mqtt-authd.yml"),
        Case(options: [], config: "acl:\n  rules:\n    - {user: \"%\", topic: \"a/#\", permission: sometimes}\n", expected: "mqtt-authd.yml:3"),
    ]

    @Test(arguments: cases)
    func brokerStopsWithTheReason(_ testCase: Case) throws {
        let folder = try TempFolder("plugin-options")
        var lines = [
            "log_dest stderr",
            getuid() == 0 ? "user root" : "",
            "plugin \(BrokerProcess.plugin ?? "/nonexistent/libMosquittoAuthPlugin.so")",
            "listener \(try FreePort.next()) 127.0.0.1",
        ]
        if let config = testCase.config ?? (testCase.expected.contains("required") ? nil : Self.goodConfig) {
            let path = try folder.write("mqtt-authd.yml", config)
            if !testCase.options.contains(where: { $0.hasPrefix("plugin_opt_config") }) { lines.append("plugin_opt_config \(path)") }
        }
        lines += testCase.options
        let conf = try folder.write("mosquitto.conf", lines.joined(separator: "\n") + "\n")
        let (status, log) = try BrokerProcess.refusedStart(config: conf, logPath: folder.path + "/mosquitto.log")
        #expect(status != nil && status != 0, "mosquitto kept running:\n\(log)")
        #expect(log.contains(testCase.expected), "\(log)")
        #expect(!log.contains("secret"), "the URL's password is not repeated in the log")
    }
}
