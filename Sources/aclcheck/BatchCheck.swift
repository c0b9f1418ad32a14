import ArgumentParser
import Foundation
import MQTTAuthCore

/// `--batch`: many cases, one output line each, in input order.
struct BatchCheck {
    let acl: CompiledACL
    let json: Bool

    /// Reads every case first, so that a malformed line stops the run before any output.
    func run(source: String) throws {
        let name = source == "-" ? "standard input" : source
        let data: Data
        if source == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else if let contents = FileManager.default.contents(atPath: source) {
            data = contents
        } else {
            Output.error("error: cannot read batch file '\(source.printable)'")
            throw ExitCode(2)
        }
        let requests: [CheckRequest]
        do {
            requests = try Self.parse(try TextFile.decode(data, name: name), name: name)
        } catch {
            Output.error("error: \(error)")
            throw ExitCode(2)
        }
        var out = Output.Buffered()
        for request in requests {
            let decision = request.decide(with: acl)
            out.line(json ? request.json(decision) : decision.description)
        }
        out.flush()
    }

    /// Parses `access<TAB>user<TAB>clientid<TAB>topic` lines; the topic is the rest of the line.
    static func parse(_ text: String, name: String) throws(ConfigDiagnostic) -> [CheckRequest] {
        var requests: [CheckRequest] = []
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, bytes) in lines.enumerated() {
            var line = Substring(bytes)
            if line.utf8.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let blank = line.utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if blank || line.hasPrefix("#") { continue }
            let fields = line.utf8.split(separator: UInt8(ascii: "\t"), maxSplits: 3, omittingEmptySubsequences: false)
                .map { String(Substring($0)) }
            guard fields.count == 4 else {
                throw ConfigDiagnostic(
                    file: name,
                    line: offset + 1,
                    "expected 4 tab-separated fields (access, user, clientid, topic), found \(fields.count)"
                )
            }
            guard let access = ACLCheck.checkedAccess(fields[0]) else {
                throw ConfigDiagnostic(
                    file: name,
                    line: offset + 1,
                    "access must be publish, subscribe or read, not '\(fields[0].printable)'"
                )
            }
            requests.append(CheckRequest(user: fields[1], clientID: fields[2], topic: fields[3], access: access))
        }
        return requests
    }
}
