/// A user's attributes resolved against one `CompiledACL`: the `when:` condition sets they
/// meet, and for each `%{name}` the policy uses, the values that can stand for a level.
///
/// Resolving hashes the user's attribute strings once; a decision then only follows indexes
/// (docs/architecture.md §3, "Resolved attributes"). Resolve when the user's attributes become
/// known (a connection authenticates) and keep the result while the policy stays the same: a
/// resolved value handed to another policy is resolved again for that decision, never misread.
///
/// `@unchecked Sendable`: `Storage` is written once, in `Storage.make`, and only read after.
package struct ResolvedAttributes: @unchecked Sendable {
    /// One allocation, so that a decision for a user touches one more block of memory, not five.
    let storage: Storage

    /// What a resolved set holds besides its packed tables.
    struct Header {
        /// What was resolved, for resolving again against another policy.
        let attributes: UserAttributes
        /// The policy it was resolved against; nil for a user without attributes (valid for every policy).
        let policy: PolicyIdentity?
        /// How many `when:` sets the user meets, and how many attribute ids the policy has.
        let rootCount: Int
        let idCount: Int
        /// Byte offsets of the packed tables, which follow the roots.
        let valueStartsOffset: Int
        let byteStartsOffset: Int
        let bytesOffset: Int
    }

    /// The packed tables, in one block after the header:
    /// - the roots of each `when:` set the user meets, each set once (`SelectorRoots`);
    /// - for each attribute id + 1, where its usable values start (Int32, into the next table);
    /// - for each usable value + 1, where its bytes start (Int32, into the bytes);
    /// - the bytes of the usable values.
    final class Storage: ManagedBuffer<Header, UInt64> {
        @inline(__always)
        private func load<T>(_ offset: Int, as type: T.Type) -> T {
            withUnsafeMutablePointerToElements { UnsafeRawPointer($0).load(fromByteOffset: offset, as: T.self) }
        }

        @inline(__always)
        func root(_ index: Int) -> CompiledACL.SelectorRoots {
            load(index * MemoryLayout<CompiledACL.SelectorRoots>.stride, as: CompiledACL.SelectorRoots.self)
        }

        /// The usable values of attribute `id`, as value indexes; empty when it has none.
        @inline(__always)
        func values(of id: Int32) -> Range<Int> {
            // Fields read one by one: a copy of the header would retain its attributes.
            guard id >= 0, Int(id) < header.idCount else { return 0..<0 }
            let at = header.valueStartsOffset + Int(id) * 4
            return Int(load(at, as: Int32.self))..<Int(load(at + 4, as: Int32.self))
        }

        /// True if the usable value `index` is `level`.
        @inline(__always)
        func value(_ index: Int, equals level: UnsafeBufferPointer<UInt8>) -> Bool {
            let at = header.byteStartsOffset + index * 4
            let start = Int(load(at, as: Int32.self))
            let end = Int(load(at + 4, as: Int32.self))
            guard end - start == level.count else { return false }
            return withUnsafeMutablePointerToElements {
                UnsafeRawBufferPointer(start: UnsafeRawPointer($0) + self.header.bytesOffset + start, count: end - start)
                    .elementsEqual(UnsafeRawBufferPointer(level))
            }
        }

        /// Packs `roots` and the usable values by attribute id.
        static func make(
            attributes: UserAttributes, policy: PolicyIdentity?, roots: [CompiledACL.SelectorRoots] = [], values: [[String]] = []
        ) -> Storage {
            let flat = values.flatMap { $0 }
            let valueStartsOffset = roots.count * MemoryLayout<CompiledACL.SelectorRoots>.stride
            let byteStartsOffset = valueStartsOffset + (values.count + 1) * 4
            let bytesOffset = byteStartsOffset + (flat.count + 1) * 4
            let size = bytesOffset + flat.reduce(0) { $0 + $1.utf8.count }
            let header = Header(
                attributes: attributes, policy: policy, rootCount: roots.count, idCount: values.count,
                valueStartsOffset: valueStartsOffset, byteStartsOffset: byteStartsOffset, bytesOffset: bytesOffset
            )
            let buffer = Storage.create(minimumCapacity: max(1, (size + 7) / 8)) { _ in header }
            let storage = unsafeDowncast(buffer, to: Storage.self)
            storage.withUnsafeMutablePointerToElements { elements in
                let raw = UnsafeMutableRawPointer(elements)
                for (index, root) in roots.enumerated() {
                    raw.storeBytes(of: root, toByteOffset: index * MemoryLayout<CompiledACL.SelectorRoots>.stride, as: CompiledACL.SelectorRoots.self)
                }
                var valueIndex: Int32 = 0
                for (id, list) in values.enumerated() {
                    raw.storeBytes(of: valueIndex, toByteOffset: valueStartsOffset + id * 4, as: Int32.self)
                    valueIndex += Int32(list.count)
                }
                raw.storeBytes(of: valueIndex, toByteOffset: valueStartsOffset + values.count * 4, as: Int32.self)
                var byte = 0
                for (index, value) in flat.enumerated() {
                    raw.storeBytes(of: Int32(byte), toByteOffset: byteStartsOffset + index * 4, as: Int32.self)
                    for unit in value.utf8 {
                        raw.storeBytes(of: unit, toByteOffset: bytesOffset + byte, as: UInt8.self)
                        byte += 1
                    }
                }
                raw.storeBytes(of: Int32(byte), toByteOffset: byteStartsOffset + flat.count * 4, as: Int32.self)
            }
            return storage
        }
    }

    /// No attributes: valid against every policy.
    package static let none = ResolvedAttributes(storage: .make(attributes: .none, policy: nil))

    /// Attributes to resolve later, when a policy is in force: resolved by the first decision.
    package init(unresolved attributes: UserAttributes) {
        storage = .make(attributes: attributes, policy: PolicyIdentity.unresolved)
    }

    fileprivate init(storage: Storage) {
        self.storage = storage
    }

    /// What was resolved.
    package var attributes: UserAttributes { storage.header.attributes }

    /// True if this can be used with `acl` as it is, without resolving again.
    package func isResolved(for acl: CompiledACL) -> Bool {
        let policy = storage.header.policy
        return policy == nil || policy === acl.identity
    }
}

/// Identifies one compiled policy, so that resolved attributes know which one they belong to.
/// A reference, not an address: an address can be reused once a policy is freed.
final class PolicyIdentity: Sendable {
    /// Belongs to no policy: what `ResolvedAttributes(unresolved:)` carries.
    static let unresolved = PolicyIdentity()
}

extension CompiledACL {
    /// Resolves `attributes` against this policy (see `ResolvedAttributes`).
    package func resolve(_ attributes: UserAttributes) -> ResolvedAttributes {
        if attributes.values.isEmpty { return .none }
        var seen = Set<Int>()
        var conditionalRoots: [SelectorRoots] = []
        if !conditional.isEmpty {
            for (name, values) in attributes.values {
                for value in values {
                    for set in conditional[AttributeCondition(name: name, value: value)] ?? []
                    where !seen.contains(set.offset) && set.rest.allSatisfy({ attributes.holds($0.name, $0.value) }) {
                        seen.insert(set.offset)
                        conditionalRoots.append(set.roots)
                    }
                }
            }
        }
        let values = attributeNames.map { name in
            (attributes.values[name] ?? []).filter { PlaceholderValue.isSubstitutable($0) }
        }
        return ResolvedAttributes(storage: .make(attributes: attributes, policy: identity, roots: conditionalRoots, values: values))
    }

    /// `attributes` as this policy needs them: as they are, or resolved again if they were
    /// resolved against another policy.
    @inline(__always)
    func usable(_ attributes: ResolvedAttributes) -> ResolvedAttributes {
        attributes.isResolved(for: self) ? attributes : resolve(attributes.attributes)
    }
}
