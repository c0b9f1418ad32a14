import Foundation
import TestSupport

/// Eclipse paho (Debian's python3-paho-mqtt) over MQTT-over-WebSockets, as browser and mobile
/// apps connect: it connects, subscribes to its own and another user's topics, publishes to
/// its own, and reports what the broker answered.
enum PahoWebSocketClient {
    struct Outcome: Decodable {
        var connack: Int32
        var ownSubscription: Int32?
        var otherSubscription: Int32?
        var received: [String]
    }

    static let python = "/usr/bin/python3"

    static let script = #"""
        import json, sys, threading
        import paho.mqtt.client as mqtt

        port, username, password, own, other = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
        outcome = {"connack": -1, "ownSubscription": None, "otherSubscription": None, "received": []}
        connected, received, acks, acked = threading.Event(), threading.Event(), {}, threading.Condition()

        def on_connect(client, userdata, flags, rc):
            outcome["connack"] = rc
            connected.set()

        def on_subscribe(client, userdata, mid, granted):
            with acked:
                acks[mid] = granted[0]
                acked.notify_all()

        def on_message(client, userdata, message):
            outcome["received"].append(message.topic)
            received.set()

        def on_disconnect(client, userdata, rc):
            connected.set()

        client = mqtt.Client(client_id="ws-" + username[:8], transport="websockets")
        client.username_pw_set(username, password)
        client.on_connect, client.on_subscribe, client.on_message, client.on_disconnect = on_connect, on_subscribe, on_message, on_disconnect
        client.connect("127.0.0.1", port, keepalive=30)
        client.loop_start()
        connected.wait(10)

        def subscribe(topic):
            with acked:
                result, mid = client.subscribe(topic, qos=1)
                acked.wait_for(lambda: mid in acks, timeout=10)
                return acks.get(mid)

        if outcome["connack"] == 0:
            outcome["ownSubscription"] = subscribe(own + "/#")
            outcome["otherSubscription"] = subscribe(other + "/#")
            client.publish(other + "/ws", "intrusion", qos=1).wait_for_publish()
            client.publish(own + "/ws", "mine", qos=1).wait_for_publish()
            received.wait(10)
        client.loop_stop()
        print(json.dumps(outcome))
        """#

    static func run(port: Int, username: String, password: String, own: String, other: String, folder: TempFolder) throws -> Outcome {
        let path = try folder.write("paho_ws_client.py", script)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [path, String(port), username, password, own, other]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let line = String(decoding: data, as: UTF8.self).split(separator: "\n").last else {
            throw DaemonFailure(message: "paho client failed: \(String(decoding: data, as: UTF8.self))")
        }
        return try JSONDecoder().decode(Outcome.self, from: Data(line.utf8))
    }
}
