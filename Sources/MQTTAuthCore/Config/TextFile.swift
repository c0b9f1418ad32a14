#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads configuration text: the whole file, which must be UTF-8.
package enum TextFile {
    /// Reads `path` and decodes it as UTF-8. `name` is how errors name the file.
    package static func read(_ path: String, name: String) throws(ConfigDiagnostic) -> String {
        try decode(try bytes(path, name: name), name: name)
    }

    /// The whole file at `path`, read with open(2) and read(2) so that a failure is named by
    /// its errno (docs/footprint.md: no Foundation-only API here).
    package static func bytes(_ path: String, name: String) throws(ConfigDiagnostic) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw failure(errno, name: name) }
        defer { close(descriptor) }
        var status = stat()
        if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
            throw ConfigDiagnostic(file: name, line: nil, "cannot read file: it is a directory")
        }
        let (contents, error) = readToEnd(descriptor)
        if let error { throw failure(error, name: name) }
        return contents
    }

    /// What `descriptor` holds until end of file, read(2) after read(2), and the errno of the
    /// read that failed, if one did (what was read before it is kept).
    package static func readToEnd(_ descriptor: Int32) -> (bytes: [UInt8], error: Int32?) {
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { readDescriptor(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { return (contents, nil) }
            if count < 0 {
                if errno == EINTR { continue }
                return (contents, errno)
            }
            contents.append(contentsOf: chunk[0..<count])
        }
    }

    private static func failure(_ code: Int32, name: String) -> ConfigDiagnostic {
        let reason = switch code {
        case ENOENT: "no such file"
        case EACCES: "permission denied"
        case EISDIR: "it is a directory"
        default: String(cString: strerror(code))
        }
        return ConfigDiagnostic(file: name, line: nil, "cannot read file: \(reason)")
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
}

/// read(2), under a name that `TextFile.read` does not hide.
private func readDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}
