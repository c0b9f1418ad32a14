#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore

/// `--batch`: many cases, one output line each, in input order (README.md, "aclcheck").
package struct BatchCheck {
    package let acl: CompiledACL
    package let json: Bool
    /// `--strict-subscribe`, for every case.
    package let strictSubscribe: Bool

    package init(acl: CompiledACL, json: Bool, strictSubscribe: Bool = false) {
        self.acl = acl
        self.json = json
        self.strictSubscribe = strictSubscribe
    }

    /// Checks the cases in the file `source`, or in standard input when it is `-`.
    package func run(source: String, io: ACLCheckIO) -> ACLCheckStatus {
        let data: Data
        if source == "-" {
            data = io.readInput()
        } else if let contents = FileManager.default.contents(atPath: source) {
            data = contents
        } else {
            io.errorLine("error: cannot read batch file '\(source.printable)'")
            return .failed
        }
        return run(data, name: source == "-" ? "standard input" : source, io: io)
    }

    /// Checks the cases in `data`, which error messages call `name`. Reads every case first, so
    /// that a malformed line stops the run before any output.
    package func run(_ data: Data, name: String, io: ACLCheckIO) -> ACLCheckStatus {
        let requests: [CheckRequest]
        do {
            requests = try Self.parse(try TextFile.decode(data, name: name), name: name)
        } catch {
            io.errorLine("error: \(error)")
            return .failed
        }
        var out = BufferedLines(writingTo: io.writeOutput)
        for var request in requests {
            request.strictSubscribe = strictSubscribe
            let decision = request.decide(with: acl)
            out.line(json ? request.json(decision) : decision.description)
        }
        out.flush()
        return .ok
    }

    /// Parses `access<TAB>user<TAB>clientid<TAB>topic[<TAB>attributes]` lines, attributes as
    /// `name=value;name=value`. The topic is the rest of the line, tabs included, unless its
    /// last tab-separated part reads as attributes: then that part is the attributes. Blank
    /// lines and lines starting with `#` are skipped.
    package static func parse(_ text: String, name: String) throws(ConfigDiagnostic) -> [CheckRequest] {
        var requests: [CheckRequest] = []
        let lines = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, bytes) in lines.enumerated() {
            var line = Substring(bytes)
            if line.utf8.last == UInt8(ascii: "\r") { line = line.dropLast() }
            let blank = line.utf8.allSatisfy { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
            if blank || line.hasPrefix("#") { continue }
            var fields = line.utf8.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false)
                .map { String(Substring($0)) }
            guard fields.count >= 4 else {
                throw ConfigDiagnostic(
                    file: name,
                    line: offset + 1,
                    "expected 4 tab-separated fields (access, user, clientid, topic), found \(fields.count)"
                )
            }
            var attributes = UserAttributes.none
            if fields.count > 4, let last = fields.last, !last.isEmpty,
               let read = try? CheckRequest.attributes(last.split(separator: ";", omittingEmptySubsequences: false)) {
                attributes = read
                fields.removeLast()
            }
            fields = Array(fields[..<3]) + [fields[3...].joined(separator: "\t")]
            guard let access = CheckAccess(rawValue: fields[0]) else {
                throw ConfigDiagnostic(
                    file: name,
                    line: offset + 1,
                    "access must be publish, subscribe or read, not '\(fields[0].printable)'"
                )
            }
            requests.append(CheckRequest(user: fields[1], clientID: fields[2], topic: fields[3], access: access.access,
                                         attributes: attributes))
        }
        return requests
    }
}
