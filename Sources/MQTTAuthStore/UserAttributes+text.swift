import Foundation
import MQTTAuthCore

extension UserAttributes {
    /// How both stores keep a user's attributes: a JSON object of arrays of strings, keys
    /// sorted (`{"org":["acme"],"roles":["admin","dev"]}`); the empty string for none.
    package var storedText: String {
        guard !values.isEmpty else { return "" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(values)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Reads `storedText`; anything unreadable (which only a hand-edited database holds) is none.
    package init(storedText text: String) {
        guard !text.isEmpty, let values = try? JSONDecoder().decode([String: [String]].self, from: Data(text.utf8)) else {
            self = .none
            return
        }
        self.init(values)
    }
}
