import CMosquitto
import Foundation

/// A real MQTT 3.1.1 client over Debian's libmosquitto, driven step by step from the test's
/// thread (`mosquitto_loop`), so that every CONNACK, SUBACK and message is observed exactly.
final class MQTTTestClient {
    struct Message: Equatable {
        var topic: String
        var payload: String
    }

    /// The CONNACK return code once it arrived: 0 accepted, 5 not authorised.
    private(set) var connack: Int32?
    /// Set when the connection ended, with libmosquitto's reason (0 when we asked for it).
    private(set) var disconnectReason: Int32?
    private(set) var messages: [Message] = []
    private var granted: [Int32: [Int32]] = [:]
    private var acknowledged: Set<Int32> = []
    private let handle: OpaquePointer

    static let notAuthorised: Int32 = 5
    /// The SUBACK code for a refused subscription.
    static let refused: Int32 = 0x80

    init(id: String) {
        _ = Self.library
        handle = mosquitto_new(id, true, nil)
        mosquitto_user_data_set(handle, Unmanaged.passUnretained(self).toOpaque())
        mosquitto_connect_callback_set(handle) { _, object, code in
            MQTTTestClient.from(object).connack = code
        }
        mosquitto_disconnect_callback_set(handle) { _, object, reason in
            MQTTTestClient.from(object).disconnectReason = reason
        }
        mosquitto_subscribe_callback_set(handle) { _, object, mid, count, codes in
            let values = (0..<Int(count)).map { codes![$0] }
            MQTTTestClient.from(object).granted[mid] = values
        }
        mosquitto_publish_callback_set(handle) { _, object, mid in
            MQTTTestClient.from(object).acknowledged.insert(mid)
        }
        mosquitto_message_callback_set(handle) { _, object, message in
            guard let message = message?.pointee else { return }
            let bytes = UnsafeRawBufferPointer(start: message.payload, count: Int(message.payloadlen))
            MQTTTestClient.from(object).messages.append(Message(topic: String(cString: message.topic), payload: String(decoding: bytes, as: UTF8.self)))
        }
    }

    deinit {
        mosquitto_disconnect(handle)
        mosquitto_destroy(handle)
    }

    private static let library: Void = { mosquitto_lib_init() }()

    private static func from(_ object: UnsafeMutableRawPointer?) -> MQTTTestClient {
        Unmanaged<MQTTTestClient>.fromOpaque(object!).takeUnretainedValue()
    }

    var isConnected: Bool { connack == 0 && disconnectReason == nil }

    /// Connects and waits for the CONNACK; returns its code, or nil when none came (the
    /// broker closed the connection or did not answer within `seconds`).
    @discardableResult
    func connect(port: Int, username: String?, password: String?, seconds: Double = 10) -> Int32? {
        if username != nil || password != nil {
            mosquitto_username_pw_set(handle, username, password)
        }
        guard mosquitto_connect(handle, "127.0.0.1", Int32(port), 30) == 0 else { return nil }
        pump(seconds: seconds) { connack != nil || disconnectReason != nil }
        return connack
    }

    /// Subscribes and waits for the SUBACK; returns the granted QoS or `refused`.
    func subscribe(_ filter: String, qos: Int32 = 1, seconds: Double = 10) -> Int32? {
        var mid: Int32 = 0
        guard mosquitto_subscribe(handle, &mid, filter, qos) == 0 else { return nil }
        pump(seconds: seconds) { granted[mid] != nil || disconnectReason != nil }
        return granted[mid]?.first
    }

    /// Publishes at QoS 1 and waits for the PUBACK. Mosquitto acknowledges a publish it drops
    /// for lack of permission too (MQTT 3.1.1 has no way to say no), so a PUBACK only means
    /// the broker has dealt with the message.
    @discardableResult
    func publish(_ topic: String, _ payload: String, seconds: Double = 10) -> Bool {
        var mid: Int32 = 0
        let bytes = Array(payload.utf8)
        guard mosquitto_publish(handle, &mid, topic, Int32(bytes.count), bytes, 1, false) == 0 else { return false }
        return pump(seconds: seconds) { acknowledged.contains(mid) || disconnectReason != nil } && acknowledged.contains(mid)
    }

    /// Runs the network loop until `done` is true or `seconds` pass; returns `done()`.
    @discardableResult
    func pump(seconds: Double, until done: () -> Bool = { false }) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(), Date() < deadline {
            let status = mosquitto_loop(handle, 20, 1)
            if status != 0, disconnectReason == nil, connack != nil {
                disconnectReason = status
            }
            if status != 0 { Thread.sleep(forTimeInterval: 0.01) }
        }
        return done()
    }

    /// Waits up to `seconds` for a message on `topic`.
    func waitForMessage(on topic: String, seconds: Double = 5) -> Message? {
        pump(seconds: seconds) { messages.contains { $0.topic == topic } }
        return messages.first { $0.topic == topic }
    }
}
