import CMosquittoBroker

/// The return codes the broker understands from a plugin callback.
enum BrokerResult {
    static let success = Int32(MOSQ_ERR_SUCCESS.rawValue)
    static let invalid = Int32(MOSQ_ERR_INVAL.rawValue)
    /// Refuses a CONNECT: the client gets "not authorised".
    static let authFailed = Int32(MOSQ_ERR_AUTH.rawValue)
    static let aclDenied = Int32(MOSQ_ERR_ACL_DENIED.rawValue)
}

/// The broker's log, which is where an operator of Mosquitto looks.
enum BrokerLog {
    static func info(_ message: String) { write(MOSQ_LOG_INFO, message) }
    static func notice(_ message: String) { write(MOSQ_LOG_NOTICE, message) }
    static func warning(_ message: String) { write(MOSQ_LOG_WARNING, message) }
    static func error(_ message: String) { write(MOSQ_LOG_ERR, message) }

    private static func write(_ level: Int32, _ message: String) {
        mqtt_authd_broker_log(level, "mqtt-authd: " + message)
    }
}
