import FuzzSupport
import MQTTAuthCore
import TestSupport

// The acl_file parser and the compiled trie, differentially: the input is an acl file, then a
// NUL, then requests, one per line: user TAB client TAB topic TAB access. Whatever the parser
// accepts is compiled, and every request must get the same verdict from the trie (with and
// without an explanation) as from the plain rule-scanning reference evaluator.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzACL(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let parts = bytes.split(separator: 0, maxSplits: 1, omittingEmptySubsequences: false)
    let parsed = ACLFileParser.parse(String(decoding: parts[0], as: UTF8.self), name: "fuzz")
    let superusers = ["root"]
    let trie = CompiledACL(superusers: superusers, rules: parsed.rules)
    let reference = ReferenceACL(superusers: superusers, rules: parsed.rules)
    guard parts.count > 1 else { return 0 }
    for line in String(decoding: parts[1], as: UTF8.self).split(separator: "\n").prefix(64) {
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 4 else { continue }
        let user = fields[0].isEmpty ? nil : fields[0]
        let client = fields[1].isEmpty ? nil : fields[1]
        let access = Access(name: fields[3]) ?? .read
        let fast = trie.isAllowed(user: user, clientID: client, topic: fields[2], access: access)
        let explained = trie.decide(user: user, clientID: client, topic: fields[2], access: access).isAllowed
        let expected = reference.isAllowed(user: user, clientID: client, topic: fields[2], access: access)
        precondition(fast == explained, "isAllowed and decide disagree on \(line.debugDescription)")
        precondition(fast == expected, "trie and reference disagree on \(line.debugDescription)")
    }
    return 0
}

@_cdecl("FuzzACL_main")
public func fuzzACLMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzACL(data, size) }
}
