import Foundation
import FuzzSupport
import MQTTAuthCore
import MQTTAuthServer

// The daemon's YAML config loader on arbitrary text: it must load or throw ConfigErrors whose
// every diagnostic names the file, never crash. acl files it names resolve inside a fresh
// folder, so only the input itself is read.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mqtt-authd-fuzz-config-\(getpid())").path
let path = folder + "/mqtt-authd.yml"

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    guard FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size)) else { return 0 }
    do {
        _ = try DaemonConfiguration.load(path: path, environment: ["SET": "value"])
    } catch {
        precondition(!error.diagnostics.isEmpty, "a refused config must say why")
        for diagnostic in error.diagnostics {
            precondition(diagnostic.description.hasPrefix(path), "a diagnostic without its file: \(diagnostic)")
        }
    }
    return 0
}

@_cdecl("FuzzConfig_main")
public func fuzzConfigMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { data, size in fuzzConfig(data, size) }
}
