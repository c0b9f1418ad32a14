import Foundation

/// A fresh folder for one test's files, removed when the test is done with it.
package final class TempFolder: Sendable {
    package let path: String

    package init(_ label: String = "test") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-authd-\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `name` in the folder and returns the file's path.
    @discardableResult
    package func write(_ name: String, _ text: String) throws -> String {
        try write(name, Data(text.utf8))
    }

    @discardableResult
    package func write(_ name: String, _ data: Data) throws -> String {
        let file = path + "/" + name
        try data.write(to: URL(fileURLWithPath: file))
        return file
    }
}
