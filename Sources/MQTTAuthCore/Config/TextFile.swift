import Foundation

/// Reads configuration text: the whole file, which must be UTF-8.
package enum TextFile {
    /// Reads `path` and decodes it as UTF-8. `name` is how errors name the file.
    package static func read(_ path: String, name: String) throws(ConfigDiagnostic) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw ConfigDiagnostic(file: name, line: nil, "cannot read file: it is a directory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ConfigDiagnostic(file: name, line: nil, "cannot read file: \(reason(error))")
        }
        return try decode(data, name: name)
    }

    /// Decodes `bytes` as UTF-8, or names the line of the first byte that is not UTF-8.
    package static func decode(_ bytes: some Collection<UInt8>, name: String) throws(ConfigDiagnostic) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        let offset = firstInvalidOffset(bytes)
        let line = bytes.prefix(offset).lazy.filter { $0 == UInt8(ascii: "\n") }.count + 1
        throw ConfigDiagnostic(file: name, line: line, "file is not valid UTF-8 text")
    }

    private static func firstInvalidOffset(_ bytes: some Collection<UInt8>) -> Int {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return offset
            case .error: return offset
            }
        }
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            case NSFileReadNoPermissionError: return "permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}
