import Foundation
import MQTTAuthCore
import MQTTAuthPluginCore
import Testing

/// What `synced` mode does with each answer of the daemon, apart from a broker: a new policy is
/// compiled, anything malformed is refused, and one outage is reported once.
@Suite("Synced policy answers")
struct PolicySyncTests {
    func withSync(_ body: (PolicySync) throws -> Void) throws {
        let daemon = DaemonClient(options: try PluginOptions([("acl", "synced"), ("url", "http://127.0.0.1:9")]))
        defer { daemon.shutdown() }
        try body(PolicySync(daemon: daemon))
    }

    @Test func aGoodPolicyCompilesAndABadOneIsRefused() throws {
        try withSync { sync in
            let configuration = ACLConfiguration(superusers: ["ops"], rules: [
                ACLRule(selector: .anyUser, pattern: try TopicPattern(parsing: "users/%u/#"), permission: .pubsub, source: .init(file: "t", line: 1)),
            ])
            let (version, body) = ACLPolicy.encode(configuration)
            guard case .applied(let acl, let applied, let superusers) = sync.apply(.changed(body: body, etag: "\"\(version)\"")) else {
                Issue.record("a valid policy was not applied")
                return
            }
            #expect(applied == version && superusers == 1)
            #expect(acl.isAllowed(user: "alice", clientID: nil, topic: "users/alice/x", access: .publish))
            #expect(!acl.isAllowed(user: "alice", clientID: nil, topic: "users/bob/x", access: .publish))
            for garbage in ["", "{\"version\":\"x\",\"superusers\":[],\"rules\":[]}", "<html>", String(decoding: body, as: UTF8.self).replacingOccurrences(of: "pubsub", with: "all")] {
                guard case .refused = sync.apply(.changed(body: Data(garbage.utf8), etag: "\"other\"")) else {
                    Issue.record("applied \(garbage.prefix(40))")
                    continue
                }
            }
            guard case .unchanged = sync.apply(.unchanged) else { Issue.record("304 is not unchanged"); return }
        }
    }

    @Test func anOutageIsReportedOnce() throws {
        try withSync { sync in
            guard case .failed = sync.apply(.unavailable(reason: "down")) else { Issue.record("first failure not reported"); return }
            guard case .quiet = sync.apply(.unavailable(reason: "down")) else { Issue.record("repeated failure reported again"); return }
            guard case .failed = sync.apply(.unavailable(reason: "other")) else { Issue.record("a new failure not reported"); return }
            #expect(sync.noteDeniedWithoutPolicy())
            #expect(!sync.noteDeniedWithoutPolicy(), "denials are logged at most every 5 s")
        }
    }
}
