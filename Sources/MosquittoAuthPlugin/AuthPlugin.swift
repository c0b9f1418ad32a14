import CMosquittoBroker
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import MQTTAuthCore
import MQTTAuthPluginCore

/// The plugin's state, owned by the broker through `userdata` from init to cleanup. Every
/// callback runs on the broker's single thread, so nothing here needs a lock.
final class AuthPlugin {
    private let identifier: OpaquePointer
    private let options: PluginOptions
    private let daemon: DaemonClient
    /// The compiled rules in `local` and `synced` mode; replaced whole on a successful reload
    /// or a new policy. Nil in `synced` mode until the first policy arrives: every check is
    /// then denied.
    private var acl: CompiledACL?
    private var expiry = SessionExpiry()
    /// Each authenticated connection's attributes, from the daemon's `/mqtt/auth` answer
    /// (README "Attributes"), resolved against the policy in force: what `local` and `synced`
    /// ACL checks decide with. Keyed by the
    /// broker's client pointer, set at every authentication and dropped at disconnect.
    private var sessionAttributes: [UInt: ResolvedAttributes] = [:]
    /// `synced` mode: the policy fetches (`PolicySync`).
    private var sync: PolicySync?
    /// The daemon's revocations, and which client used which credential (README "Refresh
    /// and revocation"): a revoked credential's sessions end on the next tick after the feed
    /// brings it.
    private let revocations: RevocationFeed
    private var tokens = SessionTokens()

    private init(identifier: OpaquePointer, options: PluginOptions, acl: CompiledACL?) {
        self.identifier = identifier
        self.options = options
        self.acl = acl
        daemon = DaemonClient(options: options)
        revocations = RevocationFeed(daemon: daemon)
        if options.aclMode == .synced { sync = PolicySync(daemon: daemon) }
    }

    /// Validates `pairs`, loads the rules and registers the callbacks; nil (after logging why)
    /// when the plugin must not run.
    static func start(identifier: OpaquePointer, options pairs: [(key: String, value: String)]) -> AuthPlugin? {
        let options: PluginOptions
        do {
            options = try PluginOptions(pairs)
        } catch {
            for problem in error.problems { BrokerLog.error(problem) }
            BrokerLog.error("refusing to start: fix the plugin_opt_ lines above in mosquitto.conf")
            return nil
        }
        var acl: CompiledACL?
        if options.aclMode == .local, let path = options.configPath {
            do {
                acl = try ACLConfiguration.load(path: path).compile()
            } catch {
                for diagnostic in error.diagnostics { BrokerLog.error(diagnostic.description) }
                BrokerLog.error("refusing to start: the rules in \(path) do not load")
                return nil
            }
        }
        let plugin = AuthPlugin(identifier: identifier, options: options, acl: acl)
        guard plugin.register() else {
            plugin.stop()
            return nil
        }
        let daemons = options.urls.joined(separator: ", ")
        let rules = switch options.aclMode {
        case .local: "ACL checks in-process from \(options.configPath ?? "") (\(acl?.rules.count ?? 0) rules)"
        case .http: "ACL checks at /mqtt/acl"
        case .synced: "ACL checks in-process from the daemon's /v2/policy"
        }
        BrokerLog.notice("password checks at /mqtt/auth of \(daemons), \(rules), timeout \(options.timeoutMilliseconds) ms")
        if let sync = plugin.sync {
            // The first policy before the first client, when the daemon answers in time.
            if let first = sync.fetchNow(timeout: .milliseconds(options.timeoutMilliseconds)) { plugin.apply(first) }
            if plugin.acl == nil {
                BrokerLog.error("no policy from the daemon yet: denying every ACL check until one arrives")
            }
        }
        return plugin
    }

    private static let events: [(mosquitto_plugin_event, MOSQ_FUNC_generic_callback)] = [
        (MOSQ_EVT_BASIC_AUTH, { _, event, userdata in
            guard let event, let userdata else { return BrokerResult.authFailed }
            return plugin(userdata).basicAuth(event.assumingMemoryBound(to: mosquitto_evt_basic_auth.self).pointee)
        }),
        (MOSQ_EVT_ACL_CHECK, { _, event, userdata in
            guard let event, let userdata else { return BrokerResult.aclDenied }
            return plugin(userdata).aclCheck(event.assumingMemoryBound(to: mosquitto_evt_acl_check.self).pointee)
        }),
        (MOSQ_EVT_TICK, { _, _, userdata in
            if let userdata { plugin(userdata).tick() }
            return BrokerResult.success
        }),
        (MOSQ_EVT_DISCONNECT, { _, event, userdata in
            guard let event, let userdata else { return BrokerResult.success }
            plugin(userdata).disconnected(event.assumingMemoryBound(to: mosquitto_evt_disconnect.self).pointee)
            return BrokerResult.success
        }),
        (MOSQ_EVT_RELOAD, { _, _, userdata in
            if let userdata { plugin(userdata).reload() }
            return BrokerResult.success
        }),
    ]

    private static func plugin(_ userdata: UnsafeMutableRawPointer) -> AuthPlugin {
        Unmanaged<AuthPlugin>.fromOpaque(userdata).takeUnretainedValue()
    }

    private func register() -> Bool {
        let userdata = Unmanaged.passUnretained(self).toOpaque()
        for (event, callback) in Self.events {
            let result = mosquitto_callback_register(identifier, Int32(event.rawValue), callback, nil, userdata)
            guard result == BrokerResult.success else {
                BrokerLog.error("the broker refused callback \(event.rawValue) (error \(result))")
                return false
            }
        }
        return true
    }

    /// Unregisters every callback and stops the HTTP client.
    func stop() {
        for (event, callback) in Self.events {
            _ = mosquitto_callback_unregister(identifier, Int32(event.rawValue), callback, nil)
        }
        daemon.shutdown()
    }

    // MARK: Events

    private func basicAuth(_ event: mosquitto_evt_basic_auth) -> Int32 {
        let clientID = Self.string(mosquitto_client_id(event.client)) ?? ""
        guard let username = event.username, let password = event.password else {
            BrokerLog.info("client '\(clientID)' sent no username or password: refused")
            return BrokerResult.authFailed
        }
        let user = String(cString: username)
        switch daemon.authenticate(username: user, password: String(cString: password), clientID: clientID) {
        case .allowed(let expiresAt, let attributes, let tokenID):
            if let expiresAt {
                expiry.track(clientID: clientID, owner: UInt(bitPattern: event.client), expiresAt: expiresAt)
            }
            if let tokenID {
                tokens.track(clientID: clientID, owner: UInt(bitPattern: event.client), tokenID: tokenID)
            } else {
                tokens.forget(clientID: clientID, owner: UInt(bitPattern: event.client))
            }
            // Resolved now, so that each ACL check only follows indexes; against the policy in
            // force, and again on the first check after a reload (`ResolvedAttributes`).
            sessionAttributes[UInt(bitPattern: event.client)] = attributes.values.isEmpty
                ? nil : (acl?.resolve(attributes) ?? ResolvedAttributes(unresolved: attributes))
            return BrokerResult.success
        case .denied:
            sessionAttributes[UInt(bitPattern: event.client)] = nil
            return BrokerResult.authFailed
        case .unavailable(let reason):
            sessionAttributes[UInt(bitPattern: event.client)] = nil
            BrokerLog.warning("refusing client '\(clientID)' (user '\(user)'): \(reason)")
            return BrokerResult.authFailed
        }
    }

    private func aclCheck(_ event: mosquitto_evt_acl_check) -> Int32 {
        guard let topic = event.topic, let access = Access(rawValue: UInt8(truncatingIfNeeded: event.access)),
              event.access >= 0, event.access <= 8
        else { return BrokerResult.aclDenied }
        if access == .unsubscribe { return BrokerResult.success }
        let username = Self.string(mosquitto_client_username(event.client))
        let clientID = Self.string(mosquitto_client_id(event.client))
        let topicText = String(cString: topic)
        if let acl {
            var attributes = sessionAttributes[UInt(bitPattern: event.client)] ?? .none
            if !attributes.isResolved(for: acl) {
                attributes = acl.resolve(attributes.attributes)
                sessionAttributes[UInt(bitPattern: event.client)] = attributes
            }
            let allowed = acl.isAllowed(user: username, clientID: clientID, topic: topicText, access: access, attributes: attributes)
            return allowed ? BrokerResult.success : BrokerResult.aclDenied
        }
        if let sync {
            if sync.noteDeniedWithoutPolicy() {
                BrokerLog.error("no policy from the daemon yet: denying every ACL check until one arrives")
            }
            return BrokerResult.aclDenied
        }
        switch daemon.checkACL(username: username, clientID: clientID, topic: topicText, access: access) {
        case .allowed:
            return BrokerResult.success
        case .denied:
            return BrokerResult.aclDenied
        case .unavailable(let reason):
            BrokerLog.warning("denying \(access) on a topic for client '\(clientID ?? "")': \(reason)")
            return BrokerResult.aclDenied
        }
    }

    /// Disconnects every client whose credential has expired; in `synced` mode, applies a
    /// policy that arrived and starts the next fetch when it is due.
    private func tick() {
        if let sync {
            if let answer = sync.take() { apply(answer) }
            sync.pollIfDue()
        }
        for clientID in expiry.due(now: Date()) {
            BrokerLog.notice("the credential of client '\(clientID)' has expired: disconnecting it")
            _ = mosquitto_kick_client_by_clientid(clientID, false)
        }
        revocations.pollIfDue()
        if let reason = revocations.takeFailure() {
            BrokerLog.warning("cannot read the daemon's revocations (will retry): \(reason)")
        }
        for clientID in tokens.revoke(revocations.take()) {
            BrokerLog.notice("the credential of client '\(clientID)' was revoked: disconnecting it")
            _ = mosquitto_kick_client_by_clientid(clientID, false)
        }
    }

    private func disconnected(_ event: mosquitto_evt_disconnect) {
        sessionAttributes[UInt(bitPattern: event.client)] = nil
        guard let clientID = Self.string(mosquitto_client_id(event.client)) else { return }
        expiry.forget(clientID: clientID, owner: UInt(bitPattern: event.client))
        tokens.forget(clientID: clientID, owner: UInt(bitPattern: event.client))
    }

    /// Recompiles the rules after the broker's SIGHUP; a config that does not load leaves the
    /// rules in force unchanged.
    private func reload() {
        if let sync {
            sync.pollSoon()
            return
        }
        guard options.aclMode == .local, let path = options.configPath else { return }
        do {
            let compiled = try ACLConfiguration.load(path: path).compile()
            acl = compiled
            BrokerLog.notice("reloaded \(compiled.rules.count) rules from \(path)")
        } catch {
            for diagnostic in error.diagnostics { BrokerLog.error(diagnostic.description) }
            BrokerLog.error("reload of \(path) failed: keeping the rules loaded before")
        }
    }

    /// Applies what a policy fetch found: a new policy that compiles replaces the rules; one
    /// that does not is refused with a log line and the rules in force stay.
    private func apply(_ answer: DaemonClient.PolicyAnswer) {
        guard let sync else { return }
        switch sync.apply(answer) {
        case .applied(let compiled, let version, let superusers):
            acl = compiled
            BrokerLog.notice("applied policy \(version.prefix(12)) from the daemon: \(compiled.rules.count) rules, \(superusers) superusers")
        case .refused(let reason):
            BrokerLog.error("refused the daemon's policy: \(reason); \(acl == nil ? "still denying every ACL check" : "keeping the policy in force")")
        case .failed(let reason):
            if acl == nil {
                BrokerLog.error("no policy from the daemon yet (\(reason)): denying every ACL check")
            } else {
                BrokerLog.warning("cannot refresh the policy (\(reason)): keeping the last one")
            }
        case .unchanged, .quiet:
            break
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
