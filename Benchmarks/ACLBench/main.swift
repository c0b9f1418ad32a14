import ACLReference
import Foundation
import MQTTAuthCore

// Nanoseconds per ACL decision at 10, 1,000 and 100,000 rules: the compiled trie next to the
// reference linear scan, measured in the same run so that ratios survive a noisy machine.
// Run with `make bench` (release build). Arguments: [rounds] (default 101).

/// SplitMix64, so every run benchmarks the same rules and requests.
struct Generator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

struct Request {
    let user: String
    let clientID: String
    let topic: String
    let access: Access
}

/// A third of the rules per selector kind: exact users, `%`, and `prefix%`.
func makeRules(_ count: Int, _ random: inout Generator) -> [ACLRule] {
    let source = SourceLocation(file: "bench", line: nil)
    let permissions: [Permission] = [.pubsub, .publish, .subscribe, .deny]
    var rules: [ACLRule] = []
    rules.reserveCapacity(count)
    for index in 0..<count {
        let group = index / 3
        let selector: UserSelector
        let topic: String
        switch index % 3 {
        case 0:
            selector = .exact("user-\(group)")
            topic = "users/user-\(group)/\(["inbox", "outbox", "state"][index % 3 == 0 ? group % 3 : 0])/#"
        case 1:
            selector = .anyUser
            topic = "fleet/\(group)/%u/+/status"
        default:
            selector = .prefix("agent\(group % 1000)-")
            topic = "agents/\(group)/%u/#"
        }
        let pattern = try! TopicPattern(parsing: topic)
        let permission = permissions[Int.random(in: 0..<8, using: &random) == 0 ? 3 : index % 3]
        rules.append(ACLRule(selector: selector, pattern: pattern, permission: permission, source: source))
    }
    return rules
}

/// Requests of 3–8 levels that hit rules of every kind, and miss them.
func makeRequests(ruleCount: Int, _ random: inout Generator) -> [Request] {
    let groups = max(1, ruleCount / 3)
    let accesses: [Access] = [.publish, .read, .subscribe]
    return (0..<4096).map { _ in
        let group = Int.random(in: 0..<groups, using: &random)
        let kind = Int.random(in: 0..<3, using: &random)
        let user = kind == 2 ? "agent\(group % 1000)-\(group)" : "user-\(group)"
        var levels: [String]
        switch kind {
        case 0: levels = ["users", user, ["inbox", "outbox", "state"][group % 3]]
        case 1: levels = ["fleet", "\(group)", user, "dev\(group % 7)", "status"]
        default: levels = ["agents", "\(group)", user]
        }
        let extra = Int.random(in: 0...5, using: &random)
        while levels.count < 3 + extra { levels.append("l\(Int.random(in: 0..<4, using: &random))") }
        if Int.random(in: 0..<4, using: &random) == 0 { levels[1] = "miss" }
        let access = accesses[Int.random(in: 0..<3, using: &random)]
        if access == .subscribe, levels.count > 3, Bool.random(using: &random) { levels[levels.count - 1] = "#" }
        return Request(user: user, clientID: "c-\(group)", topic: levels.joined(separator: "/"), access: access)
    }
}

/// Median and 90th percentile of per-round nanoseconds per decision.
func measure(rounds: Int, batch: Int, _ requests: [Request], _ decide: (Request) -> Bool) -> (median: Double, p90: Double, allowed: Int) {
    var samples: [Double] = []
    var allowed = 0
    var cursor = 0
    for _ in 0..<rounds {
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<batch {
            if decide(requests[cursor]) { allowed += 1 }
            cursor = cursor + 1 == requests.count ? 0 : cursor + 1
        }
        samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / Double(batch))
    }
    samples.sort()
    return (samples[samples.count / 2], samples[samples.count * 9 / 10], allowed)
}

let rounds = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 101
var random = Generator(state: 20261129)
var trieAtTen = 0.0
print("rules    trie ns/decision (median, p90)   linear scan ns/decision (median)   scan/trie   trie vs 10 rules")
for count in [10, 1_000, 100_000] {
    let rules = makeRules(count, &random)
    let requests = makeRequests(ruleCount: count, &random)
    let acl = CompiledACL(superusers: [], rules: rules)
    let reference = ReferenceACL(superusers: [], rules: rules)
    var disagreements = 0
    for request in requests.prefix(count >= 100_000 ? 64 : 1024) {
        let trie = acl.isAllowed(user: request.user, clientID: request.clientID, topic: request.topic, access: request.access)
        let scan = reference.isAllowed(user: request.user, clientID: request.clientID, topic: request.topic, access: request.access)
        if trie != scan { disagreements += 1 }
    }
    precondition(disagreements == 0, "trie and reference disagree on \(disagreements) requests")
    let trie = measure(rounds: rounds, batch: 4096, requests) {
        acl.isAllowed(user: $0.user, clientID: $0.clientID, topic: $0.topic, access: $0.access)
    }
    let scanBatch = max(4, 200_000 / count)
    let scan = measure(rounds: max(11, rounds / 5), batch: scanBatch, requests) {
        reference.isAllowed(user: $0.user, clientID: $0.clientID, topic: $0.topic, access: $0.access)
    }
    if count == 10 { trieAtTen = trie.median }
    let allowedShare = Double(trie.allowed) / Double(rounds * 4096) * 100
    print(String(
        format: "%7d  %10.0f  %10.0f             %14.0f                 %8.1fx   %6.2fx   (%.0f%% allowed)",
        count, trie.median, trie.p90, scan.median, scan.median / trie.median, trie.median / trieAtTen, allowedShare
    ))
}
