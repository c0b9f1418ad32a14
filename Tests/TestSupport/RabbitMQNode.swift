import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway RabbitMQ node of the tests' own (Debian's 3.10.8, `make deps`), with the MQTT
/// plugin and `rabbitmq_auth_backend_http` as its only auth backend.
///
/// Everything lives in a fresh folder: the node's HOME (so its own Erlang cookie), its
/// database, logs, config, enabled-plugins file and crash dump. Every port is a free loopback
/// one: MQTT, AMQP, Erlang distribution, and an `epmd` that the fixture starts itself on
/// `ERL_EPMD_PORT`, so a system node, epmd's 4369 and the default 5672/1883/25672 are never
/// used or touched. The name is `rabbit-<random>@localhost`.
///
/// Booting takes about 9 s on an idle machine (4 s of it the MQTT plugin waiting for cluster
/// peers that never come), and near 30 s while two builds share the two cores, so the tests
/// share one node (`sharedNode()`). Each test runs its own daemon on its own port and points
/// the node's HTTP backend at it with `pointAuthBackend(at:method:)`, which sets the backend's
/// application environment on the running node (`rabbitmqctl eval 'application:set_env(...)'`,
/// about 1 s idle): the backend reads its paths and its method on every request. Since that
/// setting is global to the node, the tests that use it must run one at a time.
package final class RabbitMQNode: @unchecked Sendable {
    /// `auth_http.http_method`: how the backend sends its parameters (query or form body).
    package enum HTTPMethod: String, Sendable, CaseIterable {
        case get, post
    }

    package static let serverScript = "/usr/lib/rabbitmq/bin/rabbitmq-server"
    package static let controlScript = "/usr/lib/rabbitmq/bin/rabbitmqctl"
    package static let epmdBinary = "/usr/bin/epmd"

    package let folder: String
    package let nodeName: String
    package let mqttPort: Int
    package let amqpPort: Int
    package let distributionPort: Int
    package let epmdPort: Int
    /// How long the node took from spawn to accepting MQTT connections.
    package private(set) var bootSeconds = 0.0
    /// The environment every `rabbitmq-server` and `rabbitmqctl` of this node runs with.
    let environment: [String: String]
    private var epmd: LoggedProcess?
    private var server: LoggedProcess?
    /// Kills the node and its epmd and removes the folder if the test process dies without
    /// stopping them (a crash skips `deinit` and `atexit`).
    private var watchdog: LoggedProcess?
    private let stopped = Mutex(false)

    private static let shared = SharedServer(start: { try RabbitMQNode() }, stop: { $0.stop() })

    /// The node most tests share, started on first use (off the concurrency pool) and
    /// stopped at exit (`SharedServer`).
    package static func sharedNode() async throws -> RabbitMQNode {
        try await shared.get()
    }

    /// Boots a node whose HTTP backend asks `authBaseURL` + `/user`, `/vhost`, `/resource` and
    /// `/topic` with `method`. Without `authBaseURL` it asks a loopback port that was free a
    /// moment ago, so every login is refused until `pointAuthBackend` is called.
    package init(authBaseURL: String? = nil, method: HTTPMethod = .post) throws {
        for tool in [Self.serverScript, Self.controlScript, Self.epmdBinary] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw DaemonFailure(message: "\(tool) is missing: RabbitMQ is not installed (make deps installs Debian's rabbitmq-server)")
        }
        var template = Array("/tmp/mqtt-authd-rmq-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw DaemonFailure(message: "mkdtemp failed") }
        folder = String(cString: made)
        nodeName = "rabbit-\(UUID().uuidString.prefix(8).lowercased())@localhost"
        mqttPort = try FreePort.next()
        amqpPort = try FreePort.next()
        distributionPort = try FreePort.next()
        epmdPort = try FreePort.next()
        let base = try authBaseURL ?? "http://127.0.0.1:\(FreePort.next())/rabbitmq"

        let home = folder + "/home"
        for sub in ["home", "mnesia", "log"] {
            try FileManager.default.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        // Erlang would make a cookie on first start; one written here cannot race the CLI.
        let cookie = home + "/.erlang.cookie"
        try Data(UUID().uuidString.replacingOccurrences(of: "-", with: "").utf8).write(to: URL(fileURLWithPath: cookie))
        chmod(cookie, 0o400)
        try Data("[rabbitmq_mqtt,rabbitmq_auth_backend_http].\n".utf8).write(to: URL(fileURLWithPath: folder + "/enabled_plugins"))
        // Read instead of /etc/rabbitmq/rabbitmq-env.conf: nothing of a system node's setup.
        try Data().write(to: URL(fileURLWithPath: folder + "/rabbitmq-env.conf"))
        try Self.config(mqttPort: mqttPort, amqpPort: amqpPort, authBaseURL: base, method: method)
            .write(toFile: folder + "/rabbitmq.conf", atomically: true, encoding: .utf8)

        let loopbackOnly = "-kernel inet_dist_use_interface {127,0,0,1}"
        environment = [
            "HOME": home,
            "RABBITMQ_NODENAME": nodeName,
            "RABBITMQ_CONF_ENV_FILE": folder + "/rabbitmq-env.conf",
            "RABBITMQ_CONFIG_FILE": folder + "/rabbitmq.conf",
            "RABBITMQ_ADVANCED_CONFIG_FILE": folder + "/advanced.config",
            "RABBITMQ_ENABLED_PLUGINS_FILE": folder + "/enabled_plugins",
            "RABBITMQ_MNESIA_BASE": folder + "/mnesia",
            "RABBITMQ_LOG_BASE": folder + "/log",
            "RABBITMQ_PID_FILE": folder + "/rabbit.pid",
            "RABBITMQ_MOTD_FILE": folder + "/motd",
            "RABBITMQ_DIST_PORT": String(distributionPort),
            // Distribution on loopback only. (The node finds the fixture's epmd on
            // ERL_EPMD_PORT; RabbitMQ would start one itself there if it were missing, whatever
            // erl's -start_epmd says, so `start` waits for it first.)
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": loopbackOnly,
            // rabbitmqctl is a hidden Erlang node too: its own port is the kernel's choice
            // (instead of 35672-35682), on loopback.
            "RABBITMQ_CTL_DIST_PORT_MIN": "0",
            "RABBITMQ_CTL_DIST_PORT_MAX": "0",
            "RABBITMQ_CTL_ERL_ARGS": loopbackOnly,
            "ERL_EPMD_PORT": String(epmdPort),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_CRASH_DUMP": folder + "/erl_crash.dump",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
        ]
        do {
            try start()
        } catch {
            stop()
            throw error
        }
    }

    deinit { stop() }

    /// The node's `rabbitmq.conf` (new-style): listeners on loopback, no anonymous MQTT, the
    /// HTTP backend alone.
    package static func config(mqttPort: Int, amqpPort: Int, authBaseURL: String, method: HTTPMethod) -> String {
        """
        listeners.tcp.default = 127.0.0.1:\(amqpPort)
        mqtt.listeners.tcp.default = 127.0.0.1:\(mqttPort)
        mqtt.allow_anonymous = false
        mqtt.vhost = /
        mqtt.exchange = amq.topic
        auth_backends.1 = http
        auth_http.http_method = \(method.rawValue)
        auth_http.user_path = \(authBaseURL)/user
        auth_http.vhost_path = \(authBaseURL)/vhost
        auth_http.resource_path = \(authBaseURL)/resource
        auth_http.topic_path = \(authBaseURL)/topic
        log.file.level = info

        """
    }

    private func start() throws {
        let began = Date()
        let epmd = try LoggedProcess(
            executable: URL(fileURLWithPath: Self.epmdBinary),
            arguments: ["-port", String(epmdPort), "-address", "127.0.0.1"],
            environment: environment, logPath: folder + "/epmd.log"
        )
        self.epmd = epmd
        let epmdDeadline = Date().addingTimeInterval(20)
        while !FreePort.isAccepting(epmdPort) {
            guard epmd.isRunning else { throw DaemonFailure(message: "epmd exited early:\n\(epmd.log)") }
            guard Date() < epmdDeadline else { throw DaemonFailure(message: "epmd did not listen on \(epmdPort)") }
            Thread.sleep(forTimeInterval: 0.02)
        }
        // Without a terminal rabbitmq-server stays a shell that runs the VM in the background
        // and turns SIGTERM into a clean stop; the VM's own pid is in the pid file.
        let server = try LoggedProcess(
            executable: URL(fileURLWithPath: Self.serverScript), arguments: [],
            environment: environment, logPath: folder + "/stdout.log"
        )
        self.server = server
        let pidFile = environment["RABBITMQ_PID_FILE"] ?? ""
        watchdog = try LoggedProcess(
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; kill -9 $(cat \(pidFile) 2>/dev/null) \(server.processIdentifier) \(epmd.processIdentifier) 2>/dev/null; rm -rf \(folder)"],
            logPath: "/dev/null"
        )
        // The MQTT listener opens once the plugins have started; the boot line follows it.
        let deadline = Date().addingTimeInterval(120)
        while !(FreePort.isAccepting(mqttPort) && log.contains("Server startup complete")) {
            guard server.isRunning else { throw DaemonFailure(message: "the RabbitMQ node exited early:\n\(diagnostics)") }
            guard Date() < deadline else { throw DaemonFailure(message: "the RabbitMQ node did not listen on \(mqttPort):\n\(diagnostics)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        bootSeconds = Date().timeIntervalSince(began)
    }

    /// The node's own log (`<log base>/<node name>.log`).
    package var log: String {
        (try? String(contentsOfFile: "\(folder)/log/\(nodeName).log", encoding: .utf8)) ?? ""
    }

    /// The ends of the node's log and of its standard output, for failure messages.
    package var diagnostics: String {
        let stdout = (try? String(contentsOfFile: folder + "/stdout.log", encoding: .utf8)) ?? ""
        return "--- node log\n\(log.suffix(3000))\n--- stdout\n\(stdout.suffix(2000))"
    }

    /// Runs `rabbitmqctl -n <node> arguments` with the node's cookie and epmd; returns its
    /// output, or throws with it when it fails.
    @discardableResult
    package func control(_ arguments: [String], seconds: Double = 60) throws -> String {
        let output = folder + "/rabbitmqctl-\(UUID().uuidString).log"
        defer { try? FileManager.default.removeItem(atPath: output) }
        let process = try LoggedProcess(
            executable: URL(fileURLWithPath: Self.controlScript), arguments: ["-n", nodeName] + arguments,
            environment: environment, logPath: output
        )
        let status = process.waitForExit(seconds: seconds)
        if status == nil { process.signal(SIGKILL) }
        let text = process.log
        guard status == 0 else {
            throw DaemonFailure(message: "rabbitmqctl \(arguments.first ?? "") failed (\(status.map(String.init) ?? "timed out")):\n\(text.suffix(2000))")
        }
        return text
    }

    /// Makes the running node's HTTP backend ask `baseURL` + `/user`, `/vhost`, `/resource` and
    /// `/topic` with `method` from its next request on (no restart: the backend reads them from
    /// its application environment on every request).
    package func pointAuthBackend(at baseURL: String, method: HTTPMethod) throws {
        let settings = [
            "{http_method, \(method.rawValue)}",
            "{user_path, \"\(baseURL)/user\"}",
            "{vhost_path, \"\(baseURL)/vhost\"}",
            "{resource_path, \"\(baseURL)/resource\"}",
            "{topic_path, \"\(baseURL)/topic\"}",
        ]
        let expression = "[application:set_env(rabbitmq_auth_backend_http, K, V) || {K, V} <- [\(settings.joined(separator: ", "))]]."
        let answer = try control(["eval", expression])
        guard answer.contains("[ok,ok,ok,ok,ok]") else {
            throw DaemonFailure(message: "setting the HTTP backend's paths answered:\n\(answer)")
        }
    }

    /// `pointAuthBackend(at:method:)` on a thread of its own: rabbitmqctl boots an Erlang VM
    /// (about a second), which must not hold one of the concurrency pool's threads.
    package func pointingAuthBackend(at baseURL: String, method: HTTPMethod) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            Thread { [self] in continuation.resume(with: Result { try pointAuthBackend(at: baseURL, method: method) }) }.start()
        }
    }

    /// The VM's pid, from the pid file RabbitMQ writes as it boots.
    private var virtualMachine: pid_t? {
        (try? String(contentsOfFile: folder + "/rabbit.pid", encoding: .utf8))
            .flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// Stops the node cleanly (SIGTERM to rabbitmq-server, which has the VM shut down: about
    /// 1-3 s, where `rabbitmqctl stop` would first boot a VM of its own), killing it if it is
    /// still up after 30 s; then its epmd; and removes the folder. Idempotent.
    package func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        watchdog?.signal(SIGKILL)
        if let server, server.isRunning {
            server.signal(SIGTERM)
            if server.waitForExit(seconds: 30) == nil {
                if let pid = virtualMachine { kill(pid, SIGKILL) }
                server.signal(SIGKILL)
                _ = server.waitForExit(seconds: 10)
            }
        }
        if let epmd, epmd.isRunning {
            epmd.signal(SIGTERM)
            if epmd.waitForExit(seconds: 5) == nil {
                epmd.signal(SIGKILL)
                _ = epmd.waitForExit(seconds: 5)
            }
        }
        try? FileManager.default.removeItem(atPath: folder)
    }
}
