// swift-tools-version:6.1
import PackageDescription

/// Upcoming features every target opts into, as hummingbird does.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "mqtt-authd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "aclcheck", targets: ["aclcheck"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
    ],
    targets: [
        // Topics, filters, ACL rules, the compiled trie and the config/acl_file loaders. No networking.
        .target(
            name: "MQTTAuthCore",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "aclcheck",
            dependencies: [
                "MQTTAuthCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // libmosquitto (Debian libmosquitto-dev): used by the differential topic-matching test.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev", "mosquitto-dev"])]
        ),
        // What tests and the benchmark share: the plain rule-scanning evaluator the trie is
        // checked and benchmarked against (beside the tests on purpose: the product never scans
        // rules), and a seeded random generator.
        .target(
            name: "TestSupport",
            dependencies: ["MQTTAuthCore"],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "ACLBench",
            dependencies: ["MQTTAuthCore", "TestSupport"],
            path: "Benchmarks/ACLBench",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTAuthCoreTests",
            dependencies: ["MQTTAuthCore", "TestSupport", "CMosquitto"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AclcheckTests",
            dependencies: ["aclcheck"],
            swiftSettings: swiftSettings
        ),
    ]
)
