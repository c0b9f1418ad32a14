import MQTTAuthCore

extension ACLCheckCommand {
    /// Loads the configuration, then lints it, checks a batch or checks one request.
    ///
    /// A bad configuration prints every error with its file and line and is `.failed` before
    /// any batch input is read.
    package func run(io: ACLCheckIO) -> ACLCheckStatus {
        let loaded: ACLConfiguration
        do {
            loaded = try ACLConfiguration.load(path: config)
        } catch {
            for diagnostic in error.diagnostics { io.errorLine("error: \(diagnostic)") }
            if lint { io.errorLine("\(error.diagnostics.count) error(s)") }
            return .failed
        }
        if lint {
            io.outputLine("ok: \(loaded.rules.count) rule(s), \(loaded.superusers.count) superuser(s)")
            return .ok
        }
        let acl = loaded.compile()
        if let batch {
            return BatchCheck(acl: acl, json: json, strictSubscribe: strictSubscribe).run(source: batch, io: io)
        }
        guard let topic, let access else {
            preconditionFailure("validate() requires --topic and --access for a single check")
        }
        var request = CheckRequest(user: user, clientID: clientID, topic: topic, access: access.access,
                                   attributes: (try? CheckRequest.attributes(attributes)) ?? .none)
        request.strictSubscribe = strictSubscribe
        let decision = request.decide(with: acl)
        io.outputLine(json ? request.json(decision) : decision.description)
        return decision.isAllowed ? .ok : .denied
    }
}
