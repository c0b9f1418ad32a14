import Foundation

/// The package's executables, found beside the running tests.
package enum BuiltProducts {
    /// On Linux `swift test` runs `<build>/debug/<package>PackageTests.xctest`, an executable in
    /// the same folder as the package's executables, and `Bundle.main` points at that folder. On
    /// macOS the `.xctest` bundle sits in the build folder, beside them. Several places are tried,
    /// so that a test does not depend on which runner started it.
    package static func executable(_ name: String) -> URL? {
        var folders: [URL] = [Bundle.main.bundleURL]
        if let argument0 = CommandLine.arguments.first {
            folders.append(URL(fileURLWithPath: argument0).resolvingSymlinksInPath().deletingLastPathComponent())
        }
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            folders.append(bundle.bundleURL.deletingLastPathComponent())
        }
        for folder in folders {
            let candidate = folder.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }
}
