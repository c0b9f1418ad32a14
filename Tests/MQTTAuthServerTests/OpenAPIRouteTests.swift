import Foundation
import Hummingbird
import MQTTAuthServer
import MQTTAuthCore
import Testing

/// docs/openapi.yaml describes the whole HTTP API (README "Admin API"): every route the router
/// registers is an operation there, and every operation there is registered.
@Suite("OpenAPI document")
struct OpenAPIRouteTests {
    static let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

    static func document() throws -> [String: Any] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/openapi.yaml")
        let text = try String(contentsOf: url, encoding: .utf8)
        let root = try #require(try composeYAML(text))
        return try #require(plain(root) as? [String: Any])
    }

    /// A composed node as plain values: scalars as their text, mappings as dictionaries.
    static func plain(_ node: Node) -> Any {
        switch node.content {
        case .scalar(let scalar): scalar.string
        case .sequence(let items): items.map(plain)
        case .mapping(let mapping):
            Dictionary(mapping.map { ($0.key.scalar?.string ?? "", plain($0.value)) }, uniquingKeysWith: { first, _ in first })
        }
    }

    /// `METHOD /path/{param}` for each operation of the document.
    static func documented(_ document: [String: Any]) throws -> Set<String> {
        let paths = try #require(document["paths"] as? [String: Any])
        var operations: Set<String> = []
        for (path, item) in paths {
            let item = try #require(item as? [String: Any], "\(path)")
            for method in item.keys where methods.contains(method) { operations.insert("\(method.uppercased()) \(path)") }
        }
        return operations
    }

    /// `METHOD /path/{param}` for each route of the daemon's router, read from Hummingbird's
    /// `Router.routes`; `:param` captures are written as OpenAPI's `{param}`.
    static func registered() throws -> Set<String> {
        let fixture = try ServerFixture()
        return Set(Server.router(fixture.parts).routes.map { route in
            let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { segment in
                segment.hasPrefix(":") ? "{\(segment.dropFirst())}" : String(segment)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
    }

    @Test func everyRegisteredRouteIsDocumentedAndEveryDocumentedOneIsRegistered() throws {
        let documented = try Self.documented(Self.document())
        let registered = try Self.registered()
        #expect(registered.count >= 20, "the router's routes were read: \(registered.sorted())")
        #expect(registered.subtracting(documented).isEmpty, "registered but not in docs/openapi.yaml: \(registered.subtracting(documented).sorted())")
        #expect(documented.subtracting(registered).isEmpty, "in docs/openapi.yaml but not registered: \(documented.subtracting(registered).sorted())")
    }

    @Test func theDocumentIsOpenAPI31AndEveryReferenceResolves() throws {
        let document = try Self.document()
        #expect(document["openapi"] as? String == "3.1.0")
        let schemes = try #require((document["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])
        #expect(Set(schemes.keys) == ["apiKey", "adminKey", "brokerToken"])
        var references: [String] = []
        func collect(_ value: Any) {
            if let object = value as? [String: Any] {
                if let reference = object["$ref"] as? String { references.append(reference) }
                object.values.forEach(collect)
            } else if let array = value as? [Any] {
                array.forEach(collect)
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in Set(references) {
            #expect(reference.hasPrefix("#/"), "\(reference)")
            var node: Any? = document
            for key in reference.dropFirst(2).split(separator: "/") { node = (node as? [String: Any])?[String(key)] }
            #expect(node != nil, "\(reference) does not resolve")
        }
        // Every operation says what it answers, and each admin one needs the admin key.
        let paths = try #require(document["paths"] as? [String: Any])
        for (path, item) in paths {
            for (method, operation) in try #require(item as? [String: Any]) where Self.methods.contains(method) {
                let operation = try #require(operation as? [String: Any])
                #expect((operation["responses"] as? [String: Any])?.isEmpty == false, "\(method) \(path)")
                if path.hasPrefix("/v2/admin/") {
                    let security = operation["security"] as? [[String: Any]]
                    #expect(security?.map { Set($0.keys) } == [["adminKey"]], "\(method) \(path)")
                }
            }
        }
    }
}
