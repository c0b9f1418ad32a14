import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL cluster of the tests' own: `initdb` (as the unprivileged `postgres`
/// user when the tests run as root) into a fresh folder, a free loopback port, its socket in
/// that folder, `fsync` on, and password logins over TCP. It never touches a system cluster
/// or the default port, and it is stopped when dropped (`shared`: when the test process exits).
///
/// Each test takes a database of its own (`newDatabase`), so tests run in parallel on one
/// cluster; a test that stops the server starts a cluster of its own.
package final class PostgresCluster: @unchecked Sendable {
    package let folder: String
    package let port: Int
    package let user = "authd"
    package let password: String
    let binaries: String
    private let stopped = Mutex(false)
    /// Stops the server and removes the folder if the test process dies without doing so (a
    /// crash skips `deinit` and `atexit`).
    private var watchdog: LoggedProcess?

    private static let shared = SharedServer(start: { try PostgresCluster() }, stop: { $0.stop() })

    /// The cluster most tests share, started on first use (off the concurrency pool) and
    /// stopped at exit (`SharedServer`).
    package static func sharedCluster() async throws -> PostgresCluster {
        try await shared.get()
    }

    /// The server's certificate (PEM) when started with `tls`: self-signed for `localhost` and
    /// 127.0.0.1, so it is its own CA.
    package private(set) var certificate: String?
    private var tlsOptions = ""

    /// With `tls`, the server also accepts TLS, with a fresh self-signed certificate.
    package init(tls: Bool = false) throws {
        guard let binaries = Self.findBinaries() else {
            throw DaemonFailure(message: "PostgreSQL's server is not installed (make deps installs Debian's postgresql)")
        }
        self.binaries = binaries
        var template = Array("/tmp/mqtt-authd-pg-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw DaemonFailure(message: "mkdtemp failed") }
        folder = String(cString: made)
        port = try FreePort.next()
        password = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let stopCommand = (getuid() == 0 ? "runuser -u postgres -- " : "") + "\(binaries)/pg_ctl -D \(folder)/data -m immediate -w stop"
        watchdog = try LoggedProcess(
            executable: URL(fileURLWithPath: "/bin/sh"),
            arguments: ["-c", "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stopCommand) >/dev/null 2>&1; rm -rf \(folder)"],
            logPath: "/dev/null"
        )
        try Data((password + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/pwfile"))
        if getuid() == 0 {
            // The server refuses to run as root; the postgres user owns the folder.
            try run("/bin/chown", ["-R", "postgres:postgres", folder], asPostgres: false)
        }
        if tls {
            let key = folder + "/server.key"
            let certificate = folder + "/server.crt"
            try run("/usr/bin/openssl", [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ], asPostgres: false)
            chmod(key, 0o600)
            if getuid() == 0 { try run("/bin/chown", ["postgres:postgres", key, certificate], asPostgres: false) }
            self.certificate = certificate
            tlsOptions = " -c ssl=on -c ssl_cert_file=\(certificate) -c ssl_key_file=\(key)"
        }
        try run(binaries + "/initdb", [
            "-D", folder + "/data", "-U", user, "--pwfile=" + folder + "/pwfile",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-locale",
        ])
        try start()
    }

    deinit { stop() }

    /// Starts the server (again) on the same port and folder.
    package func start() throws {
        try run(binaries + "/pg_ctl", [
            "-D", folder + "/data", "-l", folder + "/server.log", "-w", "-t", "60",
            "-o", "-p \(port) -k \(folder) -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=400" + tlsOptions,
            "start",
        ])
        stopped.withLock { $0 = false }
    }

    /// Stops the server at once (fast shutdown: sessions are ended).
    package func stopServer() throws {
        try run(binaries + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "-t", "60", "stop"])
    }

    /// Stops the server and removes its folder; idempotent.
    package func stop() {
        let first = stopped.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        watchdog?.signal(SIGKILL)
        try? stopServer()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A URL for `database` with the cluster's password.
    package func url(database: String, user: String? = nil, password: String? = nil, host: String = "127.0.0.1", sslMode: String = "disable") -> String {
        "postgres://\(user ?? self.user):\(password ?? self.password)@\(host):\(port)/\(database)?sslmode=\(sslMode)"
    }

    /// Creates an empty database of a fresh name and returns its name.
    package func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try sql("CREATE DATABASE \(name)")
        return name
    }

    /// `newDatabase()` on a thread of its own: `CREATE DATABASE` through psql takes a good part
    /// of a second, and run on the two threads of Swift's concurrency pool by many tests at
    /// once, it starves every other test's timers and tasks.
    package func freshDatabase() async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            Thread { [self] in continuation.resume(with: Result { try newDatabase() }) }.start()
        }
    }

    /// Runs `statement` with psql over the socket, as the cluster's superuser.
    package func sql(_ statement: String, database: String = "postgres") throws {
        try run(binaries + "/psql", ["-h", folder, "-p", "\(port)", "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", statement])
    }

    /// psql's unaligned, tuples-only output of `query`.
    package func value(_ query: String, database: String) throws -> String {
        let out = folder + "/psql-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: out) }
        try run(binaries + "/psql", ["-h", folder, "-p", "\(port)", "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1", "-A", "-t", "-q", "-c", query, "-o", out])
        return ((try? String(contentsOfFile: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func run(_ executable: String, _ arguments: [String], asPostgres: Bool = true) throws {
        let log = folder + "/commands.log"
        let process: LoggedProcess
        if asPostgres, getuid() == 0 {
            process = try LoggedProcess(executable: URL(fileURLWithPath: "/usr/sbin/runuser"), arguments: ["-u", "postgres", "--", executable] + arguments, logPath: log)
        } else {
            process = try LoggedProcess(executable: URL(fileURLWithPath: executable), arguments: arguments, logPath: log)
        }
        if getuid() == 0 { chmod(log, 0o666) }
        let status = process.waitForExit(seconds: 120)
        guard status == 0 else {
            throw DaemonFailure(message: "\(executable) \(arguments.first ?? "") failed (\(status.map(String.init) ?? "timed out")):\n\(process.log.suffix(2000))")
        }
    }

    private static func findBinaries() -> String? {
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return versions.compactMap(Int.init).sorted().last.map { "\(root)/\($0)/bin" }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0 + "/initdb") ? $0 : nil }
    }
}
