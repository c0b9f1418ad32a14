import TestSupport
import Foundation
import MQTTAuthCore

// Nanoseconds per ACL decision at 10, 1,000 and 100,000 rules: the compiled trie next to the
// reference linear scan, measured in the same run so that ratios survive a noisy machine.
// Sizes take turns in blocks (10, 1k, 100k, 10, 1k, 100k, ...) so that a burst of noise hits
// every size alike; each block starts with one unmeasured batch, so that every size is measured
// in its own steady state rather than just after another size has filled the caches.
// Each size's figure is the median over all measured batches.
//
// Three workloads: "spread", 4,096 requests from users drawn uniformly over all users (at 100,000
// rules every decision reads trie memory that is not in cache), "active set", the first 256
// of them (a broker's busy clients, whose paths stay cached), and "attributes", spread requests
// with user attributes against rules of the same count that use `%{name}` levels and `when:`.
//
// Usage: ACLBench [blocks=21] [trie]   ("trie" skips the linear scan, for profiling)
// Environment: ACLBENCH_SIZES=10,100000 to pick sizes.

/// A class, so that handing a request to a decision in the timed loop costs one retain
/// whatever it holds.
final class Request {
    let user: String
    let clientID: String
    let topic: String
    let access: Access
    let attributes: UserAttributes
    /// `attributes` resolved against the case's policy, as a broker does once per connection.
    /// A `let`, so that reading it in the timed loop needs no exclusivity check.
    let resolved: ResolvedAttributes

    init(user: String, clientID: String, topic: String, access: Access, attributes: UserAttributes = .none,
         resolved: ResolvedAttributes = .none) {
        self.user = user
        self.clientID = clientID
        self.topic = topic
        self.access = access
        self.attributes = attributes
        self.resolved = resolved
    }

    /// This request, with its attributes resolved against `acl`.
    func resolved(against acl: CompiledACL) -> Request {
        Request(user: user, clientID: clientID, topic: topic, access: access, attributes: attributes, resolved: acl.resolve(attributes))
    }
}

/// A third of the rules per selector kind: exact users, `%`, and `prefix%` (1,000 prefixes).
/// About one rule in eight is a deny.
func makeRules(_ count: Int, _ random: inout SeededGenerator) -> [ACLRule] {
    let source = SourceLocation(file: "bench", line: nil)
    let permissions: [Permission] = [.pubsub, .publish, .subscribe]
    return (0..<count).map { index in
        let group = index / 3
        let selector: UserSelector
        let topic: String
        switch index % 3 {
        case 0:
            selector = .exact("user-\(group)")
            topic = "users/user-\(group)/\(["inbox", "outbox", "state"][group % 3])/#"
        case 1:
            selector = .anyUser
            topic = "fleet/\(group)/%u/+/status"
        default:
            selector = .prefix("agent\(group % 1000)-")
            topic = "agents/\(group)/%u/#"
        }
        let deny = Int.random(in: 0..<8, using: &random) == 0
        return ACLRule(
            selector: selector,
            pattern: try! TopicPattern(parsing: topic),
            permission: deny ? .deny : permissions[index % 3],
            source: source
        )
    }
}

/// A quarter each: `%` with `orgs/%{org}/N/#`; `%` with `teams/%{team}/N/status` when the org is
/// one of 1,000 (`org-K`); exact users with `users/%u/#` when they hold one of ten roles; and
/// `%` denies `orgs/%{org}/N/secret` to interns.
func makeAttributeRules(_ count: Int) -> [ACLRule] {
    let source = SourceLocation(file: "bench", line: nil)
    return (0..<count).map { index in
        let group = index / 4
        switch index % 4 {
        case 0:
            return ACLRule(selector: .anyUser, pattern: try! TopicPattern(parsing: "orgs/%{org}/\(group)/#"),
                           permission: .pubsub, source: source)
        case 1:
            return ACLRule(selector: .anyUser, pattern: try! TopicPattern(parsing: "teams/%{team}/\(group)/status"),
                           permission: .publish, conditions: [AttributeCondition(name: "org", value: "org-\(group % 1000)")],
                           source: source)
        case 2:
            return ACLRule(selector: .exact("user-\(group)"), pattern: try! TopicPattern(parsing: "users/%u/#"),
                           permission: .subscribe, conditions: [AttributeCondition(name: "roles", value: "role-\(group % 10)")],
                           source: source)
        default:
            return ACLRule(selector: .anyUser, pattern: try! TopicPattern(parsing: "orgs/%{org}/\(group)/secret"),
                           permission: .deny, conditions: [AttributeCondition(name: "roles", value: "intern")], source: source)
        }
    }
}

/// 4,096 requests for random users with an org, a team and two or three roles, that hit the
/// attribute rules of every kind, and miss them.
func makeAttributeRequests(ruleCount: Int, _ random: inout SeededGenerator) -> [Request] {
    let groups = max(1, ruleCount / 4)
    let accesses: [Access] = [.publish, .read, .subscribe]
    return (0..<4096).map { _ in
        let group = Int.random(in: 0..<groups, using: &random)
        let user = "user-\(group)"
        var roles = ["dev", "role-\(group % 10)"]
        if Int.random(in: 0..<4, using: &random) == 0 { roles.append("intern") }
        let attributes = UserAttributes(["org": ["org-\(group % 1000)"], "team": ["team-\(group % 50)"], "roles": roles])
        var levels: [String]
        switch Int.random(in: 0..<4, using: &random) {
        case 0: levels = ["orgs", "org-\(group % 1000)", "\(group)", "l1"]
        case 1: levels = ["teams", "team-\(group % 50)", "\(group)", "status"]
        case 2: levels = ["users", user, "inbox"]
        default: levels = ["orgs", "org-\(group % 1000)", "\(group)", "secret"]
        }
        if Int.random(in: 0..<4, using: &random) == 0 { levels[1] = "miss" }
        let access = accesses[Int.random(in: 0..<3, using: &random)]
        if access == .subscribe, Bool.random(using: &random) { levels[levels.count - 1] = "#" }
        return Request(user: user, clientID: "c-\(group)", topic: levels.joined(separator: "/"), access: access, attributes: attributes)
    }
}

/// 4,096 requests of 3–8 levels, for random users, that hit rules of every kind, and miss them.
func makeRequests(ruleCount: Int, _ random: inout SeededGenerator) -> [Request] {
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

/// Nanoseconds per decision over one batch, cycling through the requests.
func timeBatch(_ requests: [Request], _ batch: Int, _ cursor: inout Int, _ decide: (Request) -> Bool) -> (ns: Double, allowed: Int) {
    var allowed = 0
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<batch {
        if decide(requests[cursor]) { allowed += 1 }
        cursor = cursor + 1 == requests.count ? 0 : cursor + 1
    }
    return (Double(DispatchTime.now().uptimeNanoseconds - start) / Double(batch), allowed)
}

func percentile(_ samples: [Double], _ fraction: Double) -> Double {
    let sorted = samples.sorted()
    return sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
}

struct Case {
    let rules: Int
    let workload: String
    let acl: CompiledACL
    let reference: ReferenceACL
    let requests: [Request]
    var trie: [Double] = []
    var allowed = 0
}

let arguments = CommandLine.arguments.dropFirst()
let blocks = arguments.first.flatMap(Int.init) ?? 21
let batchesPerBlock = 10
let trieOnly = arguments.contains("trie")
let sizes = ProcessInfo.processInfo.environment["ACLBENCH_SIZES"]?.split(separator: ",").compactMap { Int($0) }
    ?? [10, 1_000, 100_000]

var random = SeededGenerator(seed: 20261129)
let built = sizes.map { count in
    let rules = makeRules(count, &random)
    let requests = makeRequests(ruleCount: count, &random)
    return (count, CompiledACL(superusers: ["ops"], rules: rules), ReferenceACL(superusers: ["ops"], rules: rules), requests)
}
var cases = ["spread", "active set"].flatMap { workload in
    built.map { count, acl, reference, requests in
        Case(rules: count, workload: workload, acl: acl, reference: reference,
             requests: workload == "spread" ? requests : Array(requests.prefix(256)))
    }
}
// Built after the others, so that their rules and requests stay those of earlier runs.
cases += sizes.map { count in
    let rules = makeAttributeRules(count)
    let acl = CompiledACL(superusers: ["ops"], rules: rules)
    let requests = makeAttributeRequests(ruleCount: count, &random).map { $0.resolved(against: acl) }
    return Case(rules: count, workload: "attributes", acl: acl, reference: ReferenceACL(superusers: ["ops"], rules: rules),
                requests: requests)
}

// The benchmark is only worth its numbers if the trie decides like the reference.
for item in cases {
    for request in item.requests.prefix(item.rules >= 100_000 ? 64 : 1024) {
        let trie = item.acl.isAllowed(user: request.user, clientID: request.clientID, topic: request.topic, access: request.access,
                                      attributes: request.resolved)
        let unresolved = item.acl.isAllowed(user: request.user, clientID: request.clientID, topic: request.topic,
                                            access: request.access, attributes: request.attributes)
        let scan = item.reference.isAllowed(user: request.user, clientID: request.clientID, topic: request.topic, access: request.access,
                                            attributes: request.attributes)
        precondition(trie == scan && unresolved == scan, "trie and reference disagree on \(request.topic)")
    }
}

let batch = 4096
for _ in 0..<blocks {
    for index in cases.indices {
        let acl = cases[index].acl
        let requests = cases[index].requests
        var cursor = 0
        for measured in [false] + Array(repeating: true, count: batchesPerBlock) {
            let sample = timeBatch(requests, batch, &cursor) {
                acl.isAllowed(user: $0.user, clientID: $0.clientID, topic: $0.topic, access: $0.access, attributes: $0.resolved)
            }
            guard measured else { continue }
            cases[index].trie.append(sample.ns)
            cases[index].allowed += sample.allowed
        }
    }
}

let rounds = blocks * batchesPerBlock
print("workload    rules    trie ns/decision    linear scan    scan/trie   trie cost vs \(sizes[0]) rules")
print("                     median     p90      ns/decision                (median of per-batch ratios)")
for item in cases {
    let baseline = cases.first { $0.workload == item.workload }!.trie
    var scan = Double.nan
    if !trieOnly, item.workload != "active set" {
        var cursor = 0
        let scanBatch = max(4, 100_000 / item.rules)
        scan = percentile((0..<max(11, blocks)).map { _ in
            timeBatch(item.requests, scanBatch, &cursor) {
                item.reference.isAllowed(user: $0.user, clientID: $0.clientID, topic: $0.topic, access: $0.access,
                                         attributes: $0.attributes)
            }.ns
        }, 0.5)
    }
    let median = percentile(item.trie, 0.5)
    let ratio = percentile(zip(item.trie, baseline).map { $0 / $1 }, 0.5)
    let allowedShare = Double(item.allowed) / Double(rounds * batch) * 100
    let name = item.workload.padding(toLength: 10, withPad: " ", startingAt: 0)
    print(name + String(
        format: " %7d  %7.0f  %7.0f    %12.0f    %8.0fx    %5.2fx   (%.0f%% allowed)",
        item.rules, median, percentile(item.trie, 0.9), scan, scan / median, ratio, allowedShare
    ))
}

// What a broker pays once per connection for the "attributes" workload's decisions to cost
// what they do above: resolving a user's attributes against the policy.
for item in cases where item.workload == "attributes" {
    var sink = 0
    let samples = (0..<max(11, blocks)).map { _ in
        let start = DispatchTime.now().uptimeNanoseconds
        for request in item.requests { sink &+= item.acl.resolve(request.attributes).isResolved(for: item.acl) ? 1 : 0 }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / Double(item.requests.count)
    }
    precondition(sink > 0)
    print(String(format: "resolving a user's attributes (once per connection), %7d rules: %5.0f ns median", item.rules, percentile(samples, 0.5)))
}
