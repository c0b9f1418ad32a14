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
        .executable(name: "mqtt-authd", targets: ["mqtt-authd"]),
        .executable(name: "aclcheck", targets: ["aclcheck"]),
        // The Mosquitto 2.0 v5 plugin: `plugin /path/to/libMosquittoAuthPlugin.so`.
        .library(name: "MosquittoAuthPlugin", type: .dynamic, targets: ["MosquittoAuthPlugin"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"5.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.0.0"),
        // No default traits: FullFoundation and ConfigurationSupport bring code the daemon never
        // calls (docs/footprint.md).
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.0.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.20.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.30.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.0"),
    ],
    targets: [
        // Topics, filters, ACL rules, the compiled trie and the config/acl_file loaders. No networking.
        .target(
            name: "MQTTAuthCore",
            dependencies: [
                "CYAML",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The credential store: SQLite through GRDB, with an in-memory index. No networking.
        .target(
            name: "MQTTAuthStore",
            dependencies: [
                "MQTTAuthCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The shared credential store: PostgreSQL through postgres-nio, with the same in-memory
        // index, kept in step across daemons by LISTEN/NOTIFY (docs/architecture.md).
        .target(
            name: "MQTTAuthPostgres",
            dependencies: [
                "MQTTAuthCore",
                "MQTTAuthStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Configuration, the Hummingbird application and its controllers, metrics, services.
        .target(
            name: "MQTTAuthServer",
            dependencies: [
                "MQTTAuthCore",
                // The admin API's ACL check answers what aclcheck --json prints (README "Admin API").
                "ACLCheckKit",
                "MQTTAuthStore",
                "MQTTAuthPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "mqtt-authd",
            dependencies: [
                "MQTTAuthCore",
                "MQTTAuthServer",
                "MQTTAuthStore",
                "MQTTAuthPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // What aclcheck does, apart from the process: its options, single checks, batches, lint
        // and output, behind injectable streams, so that tests run it without a subprocess.
        .target(
            name: "ACLCheckKit",
            dependencies: [
                "MQTTAuthCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "aclcheck",
            dependencies: ["ACLCheckKit"],
            swiftSettings: swiftSettings
        ),
        // libyaml (Debian libyaml-dev): the parser under the config loaders' YAML composer.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // libmosquitto (Debian libmosquitto-dev): used by the differential topic-matching test.
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev", "mosquitto-dev"])]
        ),
        // Mosquitto's plugin interface (Debian mosquitto-dev). Its functions are the broker's own,
        // resolved when the broker loads the plugin, so nothing is linked.
        .systemLibrary(
            name: "CMosquittoBroker",
            providers: [.apt(["mosquitto-dev", "libmosquitto-dev"])]
        ),
        // What the plugin does, apart from the broker: its options, the HTTP client to the
        // daemon, and the expiry schedule of connected sessions. Tested without a broker.
        .target(
            name: "MQTTAuthPluginCore",
            dependencies: [
                "MQTTAuthCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HeapModule", package: "swift-collections"),
            ],
            swiftSettings: swiftSettings
        ),
        // The broker-facing part: the v5 entry points and the event callbacks.
        .target(
            name: "MosquittoAuthPlugin",
            dependencies: ["MQTTAuthCore", "MQTTAuthPluginCore", "CMosquittoBroker"],
            exclude: ["exports.map"],
            swiftSettings: swiftSettings,
            // The broker needs only the three mosquitto_plugin_* entry points: exporting nothing
            // else keeps the Swift symbols of every linked package out of the dynamic symbol
            // table (docs/footprint.md).
            linkerSettings: [.unsafeFlags([
                "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/MosquittoAuthPlugin/exports.map",
            ])]
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
            dependencies: [
                "MQTTAuthCore", "TestSupport", "CMosquitto",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTAuthStoreTests",
            dependencies: [
                "MQTTAuthStore", "MQTTAuthCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // One contract, run against the SQLite store and a PostgreSQL store on a throwaway
        // cluster; and what only the shared store does (two daemons on one database, outages).
        .testTarget(
            name: "StoreContractTests",
            dependencies: [
                "MQTTAuthCore",
                "MQTTAuthStore",
                "MQTTAuthPostgres",
                "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "MQTTAuthServerTests",
            dependencies: [
                "ACLCheckKit",
                "MQTTAuthCore",
                "MQTTAuthServer",
                "MQTTAuthStore",
                "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Starts the real mqtt-authd binary: crash recovery, reload, logs, TLS.
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "mqtt-authd",
                "MQTTAuthCore",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Debian's mosquitto with the plugin, the real daemon and real MQTT clients; the plugin's
        // options and expiry schedule on their own.
        .testTarget(
            name: "BrokerTests",
            dependencies: [
                "MQTTAuthCore",
                "MQTTAuthPluginCore",
                "CMosquitto",
                "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // aclcheck in-process: options, checks, batches, lint and output, through ACLCheckKit.
        .testTarget(
            name: "ACLCheckKitTests",
            dependencies: ["ACLCheckKit", "MQTTAuthCore", "TestSupport"],
            swiftSettings: swiftSettings
        ),
        // Runs the built aclcheck binary: its exit codes and standard streams.
        .testTarget(
            name: "AclcheckTests",
            dependencies: ["aclcheck", "TestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)

// libFuzzer targets (scripts/fuzz.sh), built only with MQTT_AUTHD_FUZZ set and
// -sanitize=fuzzer: without libFuzzer's main they would not link.
if Context.environment["MQTT_AUTHD_FUZZ"] != nil {
    let fuzzTargets: [(String, [Target.Dependency])] = [
        ("FuzzTopics", ["MQTTAuthCore", "CMosquitto"]),
        ("FuzzACL", ["MQTTAuthCore", "TestSupport"]),
        ("FuzzConfig", ["MQTTAuthServer"]),
        ("FuzzBrokerRequest", ["MQTTAuthServer", .product(name: "NIOCore", package: "swift-nio"), .product(name: "HTTPTypes", package: "swift-http-types")]),
        ("FuzzExchange", ["MQTTAuthCore", "MQTTAuthServer", .product(name: "NIOCore", package: "swift-nio"), .product(name: "HTTPTypes", package: "swift-http-types")]),
    ]
    package.targets.append(.target(name: "FuzzSupport", path: "Fuzz/FuzzSupport", swiftSettings: swiftSettings))
    for (name, dependencies) in fuzzTargets {
        package.targets.append(.executableTarget(name: name, dependencies: dependencies + ["FuzzSupport"], path: "Fuzz/\(name)", swiftSettings: swiftSettings))
        package.products.append(.executable(name: name, targets: [name]))
    }
}
