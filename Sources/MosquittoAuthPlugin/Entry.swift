import CMosquittoBroker

// The three functions Mosquitto 2.0 looks up in a v5 plugin. Everything else is reached through
// the callbacks that `mosquitto_plugin_init` registers.

/// Chooses version 5 of the plugin interface, the only one this plugin speaks.
@_cdecl("mosquitto_plugin_version")
public func mosquittoPluginVersion(_ count: Int32, _ versions: UnsafePointer<Int32>?) -> Int32 {
    guard let versions else { return -1 }
    for index in 0..<Int(max(count, 0)) where versions[index] == 5 { return 5 }
    return -1
}

/// Reads the options, compiles the rules, starts the HTTP client and registers the callbacks.
/// Any problem is written to the broker's log and refuses the load, so that Mosquitto stops
/// rather than running without its checks.
@_cdecl("mosquitto_plugin_init")
public func mosquittoPluginInit(
    _ identifier: OpaquePointer?,
    _ userdata: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
    _ options: UnsafeMutablePointer<mosquitto_opt>?,
    _ optionCount: Int32
) -> Int32 {
    guard let identifier, let userdata else { return BrokerResult.invalid }
    var pairs: [(key: String, value: String)] = []
    for index in 0..<Int(max(optionCount, 0)) {
        guard let option = options?[index], let key = option.key else { continue }
        pairs.append((String(cString: key), option.value.map { String(cString: $0) } ?? ""))
    }
    guard let plugin = AuthPlugin.start(identifier: identifier, options: pairs) else { return BrokerResult.invalid }
    userdata.pointee = Unmanaged.passRetained(plugin).toOpaque()
    return BrokerResult.success
}

/// Unregisters the callbacks and stops the HTTP client's thread.
@_cdecl("mosquitto_plugin_cleanup")
public func mosquittoPluginCleanup(_ userdata: UnsafeMutableRawPointer?, _ options: UnsafeMutablePointer<mosquitto_opt>?, _ optionCount: Int32) -> Int32 {
    guard let userdata else { return BrokerResult.success }
    let plugin = Unmanaged<AuthPlugin>.fromOpaque(userdata)
    plugin.takeUnretainedValue().stop()
    plugin.release()
    return BrokerResult.success
}
