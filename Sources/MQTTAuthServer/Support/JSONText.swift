import MQTTAuthCore

/// A JSON string literal for `text`, for the few response bodies written by hand.
enum JSONText {
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

extension UserAttributes {
    /// `{"org":["acme"],"roles":["admin","dev"]}`, keys sorted: the `attributes` of a
    /// `/mqtt/auth` answer.
    var json: String {
        "{" + values.keys.sorted().map { key in
            JSONText.quoted(key) + ":[" + values[key]!.map(JSONText.quoted).joined(separator: ",") + "]"
        }.joined(separator: ",") + "}"
    }
}
