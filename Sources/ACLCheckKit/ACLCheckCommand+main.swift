import ArgumentParser

extension ACLCheckCommand {
    /// Parses `arguments` (without the program's name) and runs the command, reading and writing
    /// only through `io`.
    ///
    /// Help goes to standard output and is `.ok`. Bad usage prints ArgumentParser's message to
    /// standard error and is `.failed`, 2 like a bad configuration, not ArgumentParser's 64.
    package static func main(arguments: [String], io: ACLCheckIO) -> ACLCheckStatus {
        do {
            let parsed = try parseAsRoot(arguments)
            if let command = parsed as? Self { return command.run(io: io) }
            // `--help` parses as ArgumentParser's help command, which reports by throwing.
            var other = parsed
            try other.run()
            return .ok
        } catch {
            let message = fullMessage(for: error)
            guard exitCode(for: error) == .success else {
                io.errorLine(message)
                return .failed
            }
            if !message.isEmpty { io.outputLine(message) }
            return .ok
        }
    }
}
