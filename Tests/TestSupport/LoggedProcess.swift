import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process whose standard output and error go to a log file, killed when dropped.
///
/// Started with `posix_spawn` and an empty signal mask rather than Foundation's `Process`:
/// tests run on threads that block SIGHUP and SIGTERM, a spawned child inherits that mask, and
/// Mosquitto, which only unblocks the signals its caller left unblocked, would then never see
/// the SIGHUP a reload test sends it.
package class LoggedProcess {
    package let processIdentifier: pid_t
    package let logPath: String
    /// How the process ended, once it has: its exit status, or the signal that killed it.
    package private(set) var ending: Ending?

    package enum Ending: Equatable, Sendable {
        case exited(Int32)
        case signalled(Int32)
    }

    package init(executable: URL, arguments: [String], environment: [String: String] = [:], logPath: String) throws {
        self.logPath = logPath
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let argv = ([executable.path] + arguments).map { strdup($0) } + [nil]
        let envp = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of the test process: a long-lived child (a PostgreSQL server) holding a
        // copy of a test's socket would keep that connection open after the test closed it.
        // (glibc has it since 2.34, but Swift's Glibc module does not declare it.)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var pid: pid_t = 0
        let status = posix_spawn(&pid, executable.path, &actions, &attributes, argv, envp)
        guard status == 0 else {
            throw DaemonFailure(message: "cannot start \(executable.path): \(String(cString: strerror(status)))")
        }
        processIdentifier = pid
    }

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: AddCloseFrom.self) }

    deinit {
        if isRunning {
            kill(processIdentifier, SIGKILL)
            _ = waitForExit(seconds: 10)
        }
    }

    package var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    package var isRunning: Bool {
        guard ending == nil else { return false }
        var status: Int32 = 0
        guard waitpid(processIdentifier, &status, WNOHANG) == processIdentifier else { return true }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as macros.
        let signal = status & 0x7f
        ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        return false
    }

    package func signal(_ signal: Int32) {
        if isRunning { kill(processIdentifier, signal) }
    }

    /// Waits up to `seconds` for the process to end; returns its exit status (or, if a signal
    /// ended it, the signal's number), or nil if it is still running.
    package func waitForExit(seconds: Double = 10) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        switch ending {
        case .exited(let status): return status
        case .signalled(let signal): return signal
        case nil: return nil
        }
    }

    /// Waits until the log contains `text` more than `count` - 1 times, for up to `seconds`.
    package func waitForLog(_ text: String, count: Int = 1, seconds: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if log.components(separatedBy: text).count > count { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }
}

package struct DaemonFailure: Error, CustomStringConvertible {
    package let message: String
    package var description: String { message }

    package init(message: String) {
        self.message = message
    }
}
