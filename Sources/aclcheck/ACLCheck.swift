import ACLCheckKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `aclcheck`: the process around `ACLCheckCommand`, which holds everything it does (README.md,
/// "aclcheck"): standard input, output and error are the process's, and the status is the exit code.
@main
enum ACLCheck {
    static func main() {
        let status = ACLCheckCommand.main(arguments: Array(CommandLine.arguments.dropFirst()), io: .standard)
        exit(status.rawValue)
    }
}
